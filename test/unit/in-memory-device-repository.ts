import type { EntityManager } from 'typeorm';
import type { Queryable } from '../../src/database/typed-query.js';
import type { DeviceRepository } from '../../src/modules/device/data/device.repository.js';
import type { Device, DeviceDescription } from '../../src/modules/device/domain/device.js';
import type { DeviceRow, InMemoryDatabase, Tables } from './in-memory-database.js';

const NAME = 'DeviceRepository';

export const toDevice = ({ fingerprint: _fingerprint, namedByUser: _named, removedAt: _removed, ...device }: DeviceRow): Device => device;

const isLive = (row: DeviceRow): boolean => !row.removedAt;

export class InMemoryDeviceRepository implements Pick<
  DeviceRepository,
  'transaction' | 'upsertSeen' | 'listForUser' | 'getById' | 'getLiveById' | 'getByIds' | 'setTrusted' | 'rename' | 'remove'
> {
  constructor(private readonly db: InMemoryDatabase) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** INSERT ... ON CONFLICT (user_id, fingerprint) WHERE removed_at IS NULL DO UPDATE: what the app says now, where it says anything. */
  upsertSeen(
    tx: EntityManager,
    device: { id: string; userId: string; fingerprint: Buffer; description: DeviceDescription; now: Date },
  ): Promise<{ device: Device; inserted: boolean }> {
    return this.db.inTransaction(`${NAME}.upsertSeen`, tx, (tables) => {
      const fingerprint = device.fingerprint.toString('hex');
      const d = device.description;
      const known = [...tables.devices.values()].find(
        (row) => isLive(row) && row.userId === device.userId && row.fingerprint === fingerprint,
      );
      if (known) {
        const updated: DeviceRow = {
          ...known,
          name: known.namedByUser ? known.name : (d.name ?? known.name),
          osVersion: d.osVersion ?? known.osVersion,
          appVersion: d.appVersion ?? known.appVersion,
          lastSeenAt: new Date(Math.max(known.lastSeenAt.getTime(), device.now.getTime())),
        };
        tables.devices.set(known.id, updated);
        return { device: toDevice(updated), inserted: false };
      }
      if (!tables.users.has(device.userId)) throw new Error('insert violates foreign key devices_user_id_fkey');
      const inserted: DeviceRow = {
        id: device.id,
        userId: device.userId,
        fingerprint,
        type: d.type,
        name: d.name ?? null,
        model: d.model ?? null,
        osVersion: d.osVersion ?? null,
        appVersion: d.appVersion ?? null,
        trusted: false,
        trustedAt: null,
        firstSeenAt: device.now,
        lastSeenAt: device.now,
      };
      tables.devices.set(inserted.id, inserted);
      return { device: toDevice(inserted), inserted: true };
    });
  }

  /** In the transaction `tx`, seeing its own writes, or on committed data. */
  listForUser(userId: string, tx?: Queryable): Promise<Device[]> {
    return this.select(`${NAME}.listForUser`, tx, (tables) =>
      [...tables.devices.values()]
        .filter((row) => row.userId === userId && isLive(row))
        .sort((a, b) => b.lastSeenAt.getTime() - a.lastSeenAt.getTime() || a.id.localeCompare(b.id))
        .map(toDevice),
    );
  }

  /** No round trip for no ids, as the real method. */
  async getByIds(ids: readonly string[], tx?: Queryable): Promise<Device[]> {
    if (ids.length === 0) return [];
    return this.select(`${NAME}.getByIds`, tx, (tables) => [...new Set(ids)].flatMap((id) => tables.devices.get(id) ?? []).map(toDevice));
  }

  getById(id: string): Promise<Device | undefined> {
    return this.db.read(`${NAME}.getById`, (tables) => {
      const row = tables.devices.get(id);
      return row && toDevice(row);
    });
  }

  getLiveById(id: string): Promise<Device | undefined> {
    return this.db.read(`${NAME}.getLiveById`, (tables) => {
      const row = tables.devices.get(id);
      return row && isLive(row) ? toDevice(row) : undefined;
    });
  }

  rename(tx: EntityManager, id: string, name: string): Promise<{ device: Device; previousName: string | null } | undefined> {
    return this.db.inTransaction(`${NAME}.rename`, tx, (tables) => {
      const row = tables.devices.get(id);
      if (!row || !isLive(row)) return undefined;
      this.db.assertUserLocked(tx, row.userId, `${NAME}.rename`);
      const updated: DeviceRow = { ...row, name, namedByUser: true };
      tables.devices.set(id, updated);
      return { device: toDevice(updated), previousName: row.name };
    });
  }

  remove(tx: EntityManager, id: string, now: Date): Promise<Device | undefined> {
    return this.db.inTransaction(`${NAME}.remove`, tx, (tables) => {
      const row = tables.devices.get(id);
      if (!row || !isLive(row)) return undefined;
      this.db.assertUserLocked(tx, row.userId, `${NAME}.remove`);
      const updated: DeviceRow = { ...row, removedAt: now, trusted: false, trustedAt: null };
      tables.devices.set(id, updated);
      return toDevice(updated);
    });
  }

  /** trusted_at = CASE WHEN trusted THEN COALESCE(trusted_at, now) END: the first trust's time is kept. */
  setTrusted(tx: EntityManager, id: string, trusted: boolean, now: Date): Promise<Device | undefined> {
    return this.db.inTransaction(`${NAME}.setTrusted`, tx, (tables) => {
      const row = tables.devices.get(id);
      if (!row || !isLive(row)) return undefined;
      this.db.assertUserLocked(tx, row.userId, `${NAME}.setTrusted`);
      const updated: DeviceRow = { ...row, trusted, trustedAt: trusted ? (row.trustedAt ?? now) : null };
      tables.devices.set(id, updated);
      return toDevice(updated);
    });
  }

  private select<T>(name: string, tx: Queryable | undefined, run: (tables: Tables) => T): Promise<T> {
    return tx ? this.db.inTransaction(name, tx as EntityManager, run) : this.db.read(name, run);
  }
}
