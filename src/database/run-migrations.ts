import type { DataSource } from 'typeorm';

/** Any constant will do, as long as every instance uses the same one. */
const MIGRATION_LOCK_KEY = 7_315_046_211;

/**
 * Brings the schema up to date. On a server several instances may start at the same
 * moment, so they queue behind a session-level advisory lock and the later ones find
 * nothing left to do. The embedded database belongs to one process and has one connection,
 * which the lock would hold away from the migrations themselves.
 */
export async function runMigrations(dataSource: DataSource, { exclusive }: { exclusive: boolean }): Promise<void> {
  if (!exclusive) {
    await dataSource.runMigrations({ transaction: 'each' });
    return;
  }
  const lockHolder = dataSource.createQueryRunner();
  await lockHolder.connect();
  try {
    await lockHolder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    try {
      await dataSource.runMigrations({ transaction: 'each' });
    } finally {
      await lockHolder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]);
    }
  } finally {
    await lockHolder.release();
  }
}
