import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The per-user counter that orders real-time session events (DESIGN.md decision 7). */
export class UserEventVersion1764400000000 implements MigrationInterface {
  name = 'UserEventVersion1764400000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users ADD COLUMN event_version integer NOT NULL DEFAULT 0`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE users DROP COLUMN event_version`);
  }
}
