import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, queryUpdateOrDelete } from './typed-query.js';

export const DAY_MS = 24 * 60 * 60_000;

/** The UTC days from `now`'s to `ahead` days later: the partitions that must exist before anything is written. */
export function daysFrom(now: Date, ahead: number): Date[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  return Array.from({ length: ahead + 1 }, (_, i) => new Date(today + i * DAY_MS));
}

/** `<table>_pYYYYMMDD`, the partition of `table` that holds the UTC day of `day`. */
export const dayPartitionName = (table: string, day: Date): string => `${table}_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;

/**
 * The day partitions of a table partitioned by range over a timestamptz column (the activity log,
 * the outbox): created ahead, and retired a whole day at a time, so that retention never deletes
 * the rows one by one. Besides its days, such a table has a default partition, and the rows from
 * before it was partitioned in `<table>_before_partitioning`: those two are pruned row by row.
 */
export class DayPartitions {
  private readonly dayName: RegExp;

  constructor(
    private readonly db: DataSource,
    private readonly table: string,
    /**
     * The tables the table's foreign keys point to (`users`). Adding or dropping a partition locks
     * them too, after the partition; a change that holds one of them and then writes to the table
     * would wait on the partition while the DDL waits on it: a deadlock, whose victim may be a
     * user's login. Locking them first, with a short wait, orders every such pair the same way.
     */
    private readonly referenced: readonly string[],
  ) {
    this.dayName = new RegExp(`^${table}_p[0-9]{8}$`);
  }

  /** Runs partition DDL in a transaction that takes the referenced tables' locks first and waits 200 ms at most for any lock. */
  private ddl<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(async (tx) => {
      // Short: while DDL waits for a lock, every writer of the table queues behind it.
      await tx.query(`SET LOCAL lock_timeout = '200ms'`);
      for (const table of this.referenced) await tx.query(`LOCK TABLE ${table} IN SHARE ROW EXCLUSIVE MODE`);
      return work(tx);
    });
  }

  /**
   * Creates the day partitions that do not exist yet. A day another instance is creating at the
   * same moment, or one an older partition (or rows in the default one) already covers, is left
   * as it is; so is one whose locks are busy, for the next pass (days are made ahead).
   */
  async create(days: readonly Date[]): Promise<number> {
    const existing = await this.names();
    let created = 0;
    for (const day of days) {
      const name = dayPartitionName(this.table, day);
      if (existing.has(name)) continue;
      const next = new Date(day.getTime() + DAY_MS);
      try {
        await this.ddl((tx) =>
          tx.query(
            `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF ${this.table} FOR VALUES FROM ('${day.toISOString()}') TO ('${next.toISOString()}')`,
          ),
        );
        created += 1;
      } catch (error) {
        if (!isOverlapOrRace(error) && !isBusyOrGone(error)) throw error;
      }
    }
    return created;
  }

  /**
   * Drops the day partitions that end at or before `cutoff`, whole, oldest first; `mayDrop`, asked
   * under the partition's lock, can keep one. A partition still in use after a short wait is left
   * for the next pass, as is one another instance has just dropped.
   */
  async dropEndedBy(
    cutoff: Date,
    mayDrop: (tx: EntityManager, partition: string) => Promise<boolean> = () => Promise.resolve(true),
  ): Promise<string[]> {
    const dropped: string[] = [];
    for (const name of [...(await this.names())].sort()) {
      if (!this.dayName.test(name)) continue;
      if (dayOfPartition(name).getTime() + DAY_MS > cutoff.getTime()) continue;
      try {
        const gone = await this.ddl(async (tx) => {
          await tx.query(`LOCK TABLE ${name} IN ACCESS EXCLUSIVE MODE`);
          if (!(await mayDrop(tx, name))) return false;
          await tx.query(`DROP TABLE ${name}`);
          return true;
        });
        if (gone) dropped.push(name);
      } catch (error) {
        if (!isBusyOrGone(error)) throw error;
      }
    }
    return dropped;
  }

  /** Row by row, only where whole days cannot be dropped: the default partition and the rows from before partitioning. */
  async deleteOutsideDaysWhere(condition: string, parameters: unknown[]): Promise<number> {
    const existing = await this.names();
    let deleted = 0;
    for (const table of [`${this.table}_default`, `${this.table}_before_partitioning`]) {
      if (!existing.has(table)) continue;
      const { affected } = await queryUpdateOrDelete(this.db, `DELETE FROM ${table} WHERE ${condition}`, parameters);
      deleted += affected;
    }
    return deleted;
  }

  /** The partitions the table has now, in one read. */
  private async names(): Promise<Set<string>> {
    const rows = await queryRows<{ name: string }>(
      this.db,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = $1::regclass`,
      [this.table],
    );
    return new Set(rows.map((row) => row.name));
  }
}

const dayOfPartition = (name: string): Date => {
  const digits = name.slice(-8);
  return new Date(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T00:00:00Z`);
};

const codeOf = (error: unknown): unknown =>
  (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;

/** 42P07: created meanwhile by another instance; 42P17 / 23514: an existing partition already covers the day. */
function isOverlapOrRace(error: unknown): boolean {
  const code = codeOf(error);
  return code === '42P07' || code === '42P17' || code === '23514';
}

/** 55P03: still in use, left for the next pass; 42P01: dropped meanwhile by another instance; 40P01: a deadlock's victim all the same. */
function isBusyOrGone(error: unknown): boolean {
  const code = codeOf(error);
  return code === '55P03' || code === '42P01' || code === '40P01';
}
