import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The sweeper looks for active sessions past their idle cutoff or absolute lifetime every
 * minute on every instance; without these, that is a scan of the whole sessions table (200 ms
 * at a million sessions here). Partial: ended sessions, most of the table in time, stay out.
 */
export class SessionSweepIndexes1764600000000 implements MigrationInterface {
  name = 'SessionSweepIndexes1764600000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`CREATE INDEX sessions_active_idle_idx ON sessions (last_activity_at) WHERE status = 'ACTIVE'`);
    await db.query(`CREATE INDEX sessions_active_expiry_idx ON sessions (expires_at) WHERE status = 'ACTIVE'`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX sessions_active_expiry_idx`);
    await db.query(`DROP INDEX sessions_active_idle_idx`);
  }
}
