import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Flat storage per session for refresh tokens: a token now names its session and generation
 * under a MAC, and the session row keeps the SHA-256 hashes of its current token and of that
 * token's parent (for the replay of a lost answer). Every earlier generation is recognised by
 * arithmetic, so no row per generation is written any more. Both columns stay null on a session
 * whose current token is of the legacy format: `refresh_tokens` still answers for those until
 * they are rotated once; the table is dropped by a later migration (ARCHITECTURE.md).
 */
export class FlatRefreshTokens1765100000000 implements MigrationInterface {
  name = 'FlatRefreshTokens1765100000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions ADD COLUMN refresh_token_hash bytea`);
    await db.query(`ALTER TABLE sessions ADD COLUMN refresh_parent_hash bytea`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE sessions DROP COLUMN refresh_parent_hash`);
    await db.query(`ALTER TABLE sessions DROP COLUMN refresh_token_hash`);
  }
}
