import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Device-bound sessions (DPoP, RFC 9449): a session opened with a proof of possession keeps the
 * key's RFC 7638 thumbprint, and its refreshes and requests must prove possession of that key.
 * The device remembers the last key it signed in with.
 */
export class DeviceBoundSessions1765000000000 implements MigrationInterface {
  name = 'DeviceBoundSessions1765000000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN dpop_jkt text`);
    // How the user last proved who they are on the session (RFC 8176 amr): a password, or the device's key.
    await db.query(`ALTER TABLE sessions ADD COLUMN authentication_method varchar(8) NOT NULL DEFAULT 'pwd'`);
    await db.query(`ALTER TABLE devices ADD COLUMN dpop_jkt text`);
    // The events still kept for replay carry sessions too: bearer sessions, proved by password.
    await db.query(
      `UPDATE session_outbox
          SET payload = jsonb_set(jsonb_set(payload::jsonb, '{session,deviceKeyThumbprint}', 'null'), '{session,authenticationMethod}', '"pwd"')::json
        WHERE json_typeof(payload -> 'session') = 'object'`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE devices DROP COLUMN dpop_jkt`);
    await db.query(`ALTER TABLE sessions DROP COLUMN authentication_method`);
    await db.query(`ALTER TABLE sessions DROP COLUMN dpop_jkt`);
  }
}
