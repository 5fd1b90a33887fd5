import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, queryUpdateOrDelete, type Queryable } from '../../../database/typed-query.js';
import type { Device, DeviceDescription, DeviceType } from '../domain/device.js';

/** A device as deviceColumns() selects it; toDevice narrows `type` (a varchar) to DeviceType. */
export interface DeviceRow {
  readonly id: string;
  readonly userId: string;
  readonly type: string;
  readonly name: string | null;
  readonly model: string | null;
  readonly osVersion: string | null;
  readonly appVersion: string | null;
  readonly trusted: boolean;
  readonly trustedAt: Date | null;
  readonly firstSeenAt: Date;
  readonly lastSeenAt: Date;
}

/** A DeviceRow's columns as deviceColumns(prefix) names them, for a device read beside other rows. */
export type PrefixedDeviceRow<Prefix extends string> = {
  readonly [Field in keyof DeviceRow as `${Prefix}${Field}`]: DeviceRow[Field];
};

interface UpsertedDeviceRow extends DeviceRow {
  readonly inserted: boolean;
}

const DEVICE_FIELDS: Readonly<Record<keyof DeviceRow, string>> = {
  id: 'id',
  userId: 'user_id',
  type: 'type',
  name: 'name',
  model: 'model',
  osVersion: 'os_version',
  appVersion: 'app_version',
  trusted: 'trusted',
  trustedAt: 'trusted_at',
  firstSeenAt: 'first_seen_at',
  lastSeenAt: 'last_seen_at',
};

/** A device's select list; `prefix` names its fields apart when it is read beside other rows. */
export const deviceColumns = (prefix = ''): string =>
  Object.entries(DEVICE_FIELDS).map(([field, column]) => `${column} AS "${prefix}${field}"`).join(', ');

export const toDevice = <Prefix extends string = ''>(row: PrefixedDeviceRow<NoInfer<Prefix>>, prefix?: Prefix): Device => {
  // TypeScript cannot follow a computed column name back to its field; PrefixedDeviceRow checked
  // the names at the call, so each read here only restates that column's type.
  const columns: Readonly<Record<string, unknown>> = row;
  const field = <Field extends keyof DeviceRow>(name: Field) => columns[`${prefix ?? ''}${name}`] as DeviceRow[Field];
  return {
    id: field('id'),
    userId: field('userId'),
    type: field('type') as DeviceType,
    name: field('name'),
    model: field('model'),
    osVersion: field('osVersion'),
    appVersion: field('appVersion'),
    trusted: field('trusted'),
    trustedAt: field('trustedAt'),
    firstSeenAt: field('firstSeenAt'),
    lastSeenAt: field('lastSeenAt'),
  };
};

const COLUMNS = deviceColumns();

@Injectable()
export class DeviceRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Registers the device or refreshes what the app says about it (not the name, once its owner
   * chose one), in one statement, so two simultaneous first logins from one phone still make one
   * device. A removed device holds its fingerprint no more: the phone comes back as a new device.
   * `inserted` tells which.
   */
  async upsertSeen(
    tx: EntityManager,
    device: { id: string; userId: string; fingerprint: Buffer; description: DeviceDescription; now: Date; keyThumbprint?: string | null },
  ): Promise<{ device: Device; inserted: boolean }> {
    const { description: d } = device;
    const rows = await queryRows<UpsertedDeviceRow>(
      tx,
      `INSERT INTO devices (id, user_id, fingerprint, type, name, model, os_version, app_version, first_seen_at, last_seen_at, dpop_jkt)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)
       ON CONFLICT (user_id, fingerprint) WHERE removed_at IS NULL DO UPDATE SET
         name = CASE WHEN devices.named_by_user THEN devices.name ELSE COALESCE(EXCLUDED.name, devices.name) END,
         os_version = COALESCE(EXCLUDED.os_version, devices.os_version),
         app_version = COALESCE(EXCLUDED.app_version, devices.app_version),
         last_seen_at = GREATEST(devices.last_seen_at, EXCLUDED.last_seen_at),
         dpop_jkt = COALESCE(EXCLUDED.dpop_jkt, devices.dpop_jkt)
       RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
      [device.id, device.userId, device.fingerprint, d.type, d.name ?? null, d.model ?? null, d.osVersion ?? null, d.appVersion ?? null, device.now, device.keyThumbprint ?? null],
    );
    const row = rows[0];
    return { device: toDevice(row), inserted: row.inserted };
  }

  /** The user's devices but removed ones. `db`: a transaction that must see its own writes, or by default the pool. */
  async listForUser(userId: string, db: Queryable = this.db): Promise<Device[]> {
    const rows = await queryRows<DeviceRow>(
      db,
      `SELECT ${COLUMNS} FROM devices WHERE user_id = $1 AND removed_at IS NULL ORDER BY last_seen_at DESC, id`,
      [userId],
    );
    return rows.map((row) => toDevice(row));
  }

  /** Removed devices included: the sessions and log entries that name one still show it. */
  async getById(id: string): Promise<Device | undefined> {
    const rows = await queryRows<DeviceRow>(this.db, `SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  /** A device its owner can still manage: not removed. */
  async getLiveById(id: string): Promise<Device | undefined> {
    const rows = await queryRows<DeviceRow>(this.db, `SELECT ${COLUMNS} FROM devices WHERE id = $1 AND removed_at IS NULL`, [id]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  /** The owner's name for it, kept over what the app reports; with the name it had. Undefined for a removed device. */
  async rename(tx: EntityManager, id: string, name: string): Promise<{ device: Device; previousName: string | null } | undefined> {
    const { rows } = await queryUpdateOrDelete<DeviceRow & { readonly previousName: string | null }>(
      tx,
      `WITH previous AS (SELECT name FROM devices WHERE id = $1)
       UPDATE devices SET name = $2, named_by_user = true WHERE id = $1 AND removed_at IS NULL
       RETURNING ${COLUMNS}, (SELECT name FROM previous) AS "previousName"`,
      [id, name],
    );
    const row = rows[0];
    return row ? { device: toDevice(row), previousName: row.previousName } : undefined;
  }

  /** Forgets the device: no longer listed, trusted or recognised, its key dropped. Undefined when already removed. */
  async remove(tx: EntityManager, id: string, now: Date): Promise<Device | undefined> {
    const { rows } = await queryUpdateOrDelete<DeviceRow>(
      tx,
      `UPDATE devices SET removed_at = $2, trusted = false, trusted_at = NULL, dpop_jkt = NULL WHERE id = $1 AND removed_at IS NULL
       RETURNING ${COLUMNS}`,
      [id, now],
    );
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  /**
   * Returns the device as it is after the change, or undefined when it does not exist or was
   * removed. Untrusting drops the key it remembers: it binds again only through a fresh login.
   */
  async setTrusted(tx: EntityManager, id: string, trusted: boolean, now: Date): Promise<Device | undefined> {
    const { rows } = await queryUpdateOrDelete<DeviceRow>(
      tx,
      `UPDATE devices SET trusted = $2, trusted_at = CASE WHEN $2 THEN COALESCE(trusted_at, $3) END,
              dpop_jkt = CASE WHEN $2 THEN dpop_jkt END
        WHERE id = $1 AND removed_at IS NULL
        RETURNING ${COLUMNS}`,
      [id, trusted, now],
    );
    const row = rows[0];
    return row ? toDevice(row) : undefined;
  }

  async getByIds(ids: readonly string[], db: Queryable = this.db): Promise<Device[]> {
    if (ids.length === 0) return [];
    const rows = await queryRows<DeviceRow>(db, `SELECT ${COLUMNS} FROM devices WHERE id = ANY ($1)`, [[...ids]]);
    return rows.map((row) => toDevice(row));
  }
}
