import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { reviveDates } from '../../src/events/event-bus.js';
import type { ChangeRecord, LockedUser, UserChangeRepository } from '../../src/modules/session/data/user-change.repository.js';
import { outboxKey, type InMemoryDatabase, type Tables } from './in-memory-database.js';

const NAME = 'UserChangeRepository';

/** The user's row lock, and RECORD_SQL, as map operations. */
export class InMemoryUserChangeRepository implements Pick<UserChangeRepository, 'transaction' | 'lock' | 'record' | 'rehearseRecord'> {
  constructor(private readonly db: InMemoryDatabase) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** SELECT event_version ... FOR NO KEY UPDATE: no row, and so no lock, for a user that does not exist. */
  lock(tx: EntityManager, userId: string): Promise<LockedUser | undefined> {
    return this.db.inTransaction(`${NAME}.lock`, tx, (tables) => {
      const user = tables.users.get(userId);
      if (!user) return undefined;
      this.db.lockUser(tx, userId);
      return { version: user.eventVersion, disabledAt: user.disabledAt };
    });
  }

  /** RECORD_SQL's round trip for a user that does not exist, with nothing to write. */
  async rehearseRecord(tx: EntityManager): Promise<void> {
    await this.db.inTransaction(`${NAME}.rehearseRecord`, tx, () => undefined);
  }

  /** One statement: the user's version, the activity entries in their order, the outbox rows; none when there is nothing to write. */
  async record(tx: EntityManager, record: ChangeRecord): Promise<void> {
    if (record.version === undefined && record.activity.length === 0 && record.outbox.length === 0) return;
    await this.db.inTransaction(`${NAME}.record`, tx, (tables) => {
      this.db.assertUserLocked(tx, record.userId, `${NAME}.record`);
      const user = tables.users.get(record.userId);
      if (record.version !== undefined && user) tables.users.set(user.id, { ...user, eventVersion: record.version });
      // Every entry goes in under the change's user ($1), whatever the entry says.
      for (const entry of record.activity) {
        const id = randomUUID();
        tables.activity.set(id, { ...entry, id, userId: record.userId });
      }
      for (const entry of record.outbox) {
        addOutboxRow(tables, {
          userId: record.userId,
          version: entry.version,
          type: entry.type,
          payload: entry.payload,
          createdAt: record.now,
        });
      }
    });
  }
}

/** INSERT INTO session_outbox, with its primary and foreign keys; the payload as jsonb keeps it (dates revived, as the relay reads them). */
export function addOutboxRow(
  tables: Tables,
  row: { userId: string; version: number; type: string; payload: object; createdAt: Date },
): void {
  if (!tables.users.has(row.userId)) throw new Error('insert violates foreign key session_outbox_user_id_fkey');
  const key = outboxKey(row.userId, row.version);
  if (tables.outbox.has(key)) throw new Error('duplicate key value violates unique constraint session_outbox_pkey');
  const payload = JSON.parse(JSON.stringify(row.payload), reviveDates) as object;
  tables.outbox.set(key, { ...row, payload, sentAt: null });
}
