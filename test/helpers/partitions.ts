import type { DataSource } from 'typeorm';
import { MINUTE } from './manual-clock.js';

export const DAY = 24 * 60 * MINUTE;

/** The partitions of a partitioned table, by name. */
export async function partitionsOf(db: DataSource, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }[]>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.map((row) => row.name);
}
