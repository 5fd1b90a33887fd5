import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every minute, on every instance, the sweeper deletes the encrypted successors that nothing can
 * replay any more (committed, and rotated more than REFRESH_REUSE_GRACE ago). Without this, that
 * is a read of every live session each time; with it, of the few that still hold one: those
 * rotated since the last pass, and those whose successor never reached the app.
 */
export class ReplaySuccessorIndex1764650000000 implements MigrationInterface {
  name = 'ReplaySuccessorIndex1764650000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `CREATE INDEX sessions_replay_successor_idx ON sessions (refresh_rotated_at) WHERE refresh_successor_ciphertext IS NOT NULL`,
    );
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`DROP INDEX sessions_replay_successor_idx`);
  }
}
