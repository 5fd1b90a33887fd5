import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { In, type DataSource, type EntityManager } from 'typeorm';
import type { Device, DeviceDescription, DeviceType } from '../domain/device.js';
import { DeviceEntity } from './device.entity.js';

const toDevice = (row: DeviceEntity): Device => ({
  id: row.id,
  userId: row.userId,
  type: row.type as DeviceType,
  name: row.name,
  model: row.model,
  osVersion: row.osVersion,
  appVersion: row.appVersion,
  trusted: row.trusted,
  trustedAt: row.trustedAt,
  firstSeenAt: row.firstSeenAt,
  lastSeenAt: row.lastSeenAt,
});

const COLUMNS = `id, user_id AS "userId", type, name, model, os_version AS "osVersion", app_version AS "appVersion",
  trusted, trusted_at AS "trustedAt", first_seen_at AS "firstSeenAt", last_seen_at AS "lastSeenAt"`;

@Injectable()
export class DeviceRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  /**
   * Registers the device or refreshes what the app says about it, in one statement, so two
   * simultaneous first logins from one phone still make one device. `inserted` tells which.
   */
  async upsertSeen(
    tx: EntityManager,
    device: { id: string; userId: string; fingerprint: Buffer; description: DeviceDescription; now: Date },
  ): Promise<{ device: Device; inserted: boolean }> {
    const { description: d } = device;
    const rows: (DeviceEntity & { inserted: boolean })[] = await tx.query(
      `INSERT INTO devices (id, user_id, fingerprint, type, name, model, os_version, app_version, first_seen_at, last_seen_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       ON CONFLICT (user_id, fingerprint) DO UPDATE SET
         name = COALESCE(EXCLUDED.name, devices.name),
         os_version = COALESCE(EXCLUDED.os_version, devices.os_version),
         app_version = COALESCE(EXCLUDED.app_version, devices.app_version),
         last_seen_at = GREATEST(devices.last_seen_at, EXCLUDED.last_seen_at)
       RETURNING ${COLUMNS}, (xmax = 0) AS inserted`,
      [device.id, device.userId, device.fingerprint, d.type, d.name ?? null, d.model ?? null, d.osVersion ?? null, d.appVersion ?? null, device.now],
    );
    const row = rows[0]!;
    return { device: toDevice(row), inserted: row.inserted };
  }

  async touch(tx: EntityManager, deviceId: string, now: Date): Promise<void> {
    await tx.query(`UPDATE devices SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2`, [deviceId, now]);
  }

  async listForUser(userId: string): Promise<Device[]> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM devices WHERE user_id = $1 ORDER BY last_seen_at DESC, id`, [userId]);
    return rows.map(toDevice);
  }

  async getById(id: string): Promise<Device | undefined> {
    const rows = await this.db.query(`SELECT ${COLUMNS} FROM devices WHERE id = $1`, [id]);
    return rows[0] ? toDevice(rows[0]) : undefined;
  }

  /** Returns the device as it is after the change, or undefined when it does not exist. */
  async setTrusted(tx: EntityManager, id: string, trusted: boolean, now: Date): Promise<Device | undefined> {
    const rows = await tx.query(
      `UPDATE devices SET trusted = $2, trusted_at = CASE WHEN $2 THEN COALESCE(trusted_at, $3) END
        WHERE id = $1
        RETURNING ${COLUMNS}`,
      [id, trusted, now],
    );
    const row = rows[0]?.[0];
    return row ? toDevice(row) : undefined;
  }

  async getByIds(ids: readonly string[]): Promise<Device[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.getRepository(DeviceEntity).findBy({ id: In([...ids]) });
    return rows.map(toDevice);
  }
}
