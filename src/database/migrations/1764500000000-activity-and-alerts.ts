import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The append-only activity log and the alerts raised over it. */
export class ActivityAndAlerts1764500000000 implements MigrationInterface {
  name = 'ActivityAndAlerts1764500000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE session_activity (
        id uuid PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id uuid,
        type varchar(32) NOT NULL,
        occurred_at timestamptz NOT NULL,
        ip_address text,
        user_agent text,
        details jsonb
      )`);
    await db.query(`CREATE INDEX session_activity_user_idx ON session_activity (user_id, occurred_at DESC, seq DESC)`);
    await db.query(`CREATE INDEX session_activity_occurred_idx ON session_activity (occurred_at)`);
    await db.query(`CREATE INDEX session_activity_user_ip_idx ON session_activity (user_id, ip_address, occurred_at)`);
    await db.query(`
      CREATE TABLE session_alerts (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        session_id uuid,
        type varchar(32) NOT NULL,
        severity varchar(16) NOT NULL,
        message text NOT NULL,
        details jsonb,
        fold_key text NOT NULL,
        occurrences integer NOT NULL DEFAULT 1,
        created_at timestamptz NOT NULL,
        last_occurred_at timestamptz NOT NULL,
        acknowledged_at timestamptz
      )`);
    await db.query(`CREATE INDEX session_alerts_user_idx ON session_alerts (user_id, created_at DESC, id DESC)`);
    await db.query(`CREATE INDEX session_alerts_fold_idx ON session_alerts (user_id, fold_key, last_occurred_at DESC)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE session_alerts');
    await db.query('DROP TABLE session_activity');
  }
}
