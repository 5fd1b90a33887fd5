import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The transactional outbox: each real-time SessionEvent is written here in the transaction of the
 * change it reports, under the user's version, and a relay on every instance publishes what has
 * committed. Sent rows stay for a while so that a subscriber can ask for what it missed. The
 * message is json, not jsonb: it is only ever written and read back whole, so it is stored as
 * sent instead of being taken apart on every refresh.
 */
export class SessionOutbox1764700000000 implements MigrationInterface {
  name = 'SessionOutbox1764700000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE session_outbox (
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        version integer NOT NULL,
        type varchar(32) NOT NULL,
        payload json NOT NULL,
        created_at timestamptz NOT NULL,
        sent_at timestamptz,
        PRIMARY KEY (user_id, version)
      )`);
    // The relay's queue: small, since rows leave it within moments of their commit.
    await db.query(`CREATE INDEX session_outbox_unsent_idx ON session_outbox (user_id, version) WHERE sent_at IS NULL`);
    await db.query(`CREATE INDEX session_outbox_sent_idx ON session_outbox (sent_at) WHERE sent_at IS NOT NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP TABLE session_outbox`);
  }
}
