import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The account's own life: an administrator can disable an account (`users.disabled_at`); a
 * session remembers when its user last proved who they are (`sessions.authenticated_at`, the
 * login until a reauthenticate moves it); a device can be named by its owner (and the app's name
 * for it no longer overwrites that) and forgotten (`devices.removed_at`). A forgotten device keeps
 * its row for the sessions and the log that name it, but no longer holds its fingerprint: the
 * unique rule covers live devices only, so the same phone signing in again is a new device.
 */
export class AccountLifecycle1764900000000 implements MigrationInterface {
  name = 'AccountLifecycle1764900000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN disabled_at timestamptz`);
    await db.query(`ALTER TABLE sessions ADD COLUMN authenticated_at timestamptz`);
    await db.query(`UPDATE sessions SET authenticated_at = created_at`);
    await db.query(`ALTER TABLE sessions ALTER COLUMN authenticated_at SET NOT NULL`);
    // The events still kept for replay carry sessions too: they get the same value.
    await db.query(
      `UPDATE session_outbox
          SET payload = jsonb_set(payload::jsonb, '{session,authenticatedAt}', (payload::jsonb) #> '{session,createdAt}')::json
        WHERE json_typeof(payload -> 'session') = 'object'`,
    );
    await db.query(`ALTER TABLE devices ADD COLUMN named_by_user boolean NOT NULL DEFAULT false`);
    await db.query(`ALTER TABLE devices ADD COLUMN removed_at timestamptz`);
    await db.query(`ALTER TABLE devices DROP CONSTRAINT devices_user_fingerprint_unique`);
    await db.query(`CREATE UNIQUE INDEX devices_user_fingerprint_live ON devices (user_id, fingerprint) WHERE removed_at IS NULL`);
  }

  async down(db: QueryRunner): Promise<void> {
    // A removed device's fingerprint may be held again by its successor: the old rule cannot come back over both.
    await db.query(`DELETE FROM devices WHERE removed_at IS NOT NULL`);
    await db.query(`DROP INDEX devices_user_fingerprint_live`);
    await db.query(`ALTER TABLE devices ADD CONSTRAINT devices_user_fingerprint_unique UNIQUE (user_id, fingerprint)`);
    await db.query(`ALTER TABLE devices DROP COLUMN removed_at`);
    await db.query(`ALTER TABLE devices DROP COLUMN named_by_user`);
    await db.query(`ALTER TABLE sessions DROP COLUMN authenticated_at`);
    await db.query(`ALTER TABLE users DROP COLUMN disabled_at`);
  }
}
