import type { DataSource } from 'typeorm';
export { DAY_MS as DAY } from '../../src/database/day-partitions.js';

/** The partitions of a partitioned table, by name. */
export async function partitionsOf(db: DataSource, table: string): Promise<string[]> {
  const rows = await db.query<{ name: string }[]>(
    `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = $1::regclass ORDER BY c.relname`,
    [table],
  );
  return rows.map((row) => row.name);
}
