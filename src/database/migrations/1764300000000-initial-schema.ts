import type { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1764300000000 implements MigrationInterface {
  name = 'InitialSchema1764300000000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY,
        email text NOT NULL,
        password_hash text NOT NULL,
        roles text[] NOT NULL DEFAULT '{USER}',
        created_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT users_email_unique UNIQUE (email)
      )`);
    await db.query(`
      CREATE TABLE devices (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        fingerprint bytea NOT NULL,
        type varchar(16) NOT NULL,
        name text,
        model text,
        os_version text,
        app_version text,
        trusted boolean NOT NULL DEFAULT false,
        trusted_at timestamptz,
        first_seen_at timestamptz NOT NULL,
        last_seen_at timestamptz NOT NULL,
        CONSTRAINT devices_user_fingerprint_unique UNIQUE (user_id, fingerprint)
      )`);
    await db.query(`
      CREATE TABLE sessions (
        id uuid PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        device_id uuid NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        status varchar(16) NOT NULL,
        end_reason varchar(32),
        created_at timestamptz NOT NULL,
        last_activity_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        ended_at timestamptz,
        ip_address text,
        user_agent text,
        refresh_generation integer NOT NULL DEFAULT 0,
        refresh_committed_generation integer NOT NULL DEFAULT 0,
        refresh_rotated_at timestamptz,
        refresh_successor_ciphertext bytea,
        CONSTRAINT sessions_status_check CHECK (status IN ('ACTIVE', 'REVOKED', 'EXPIRED')),
        CONSTRAINT sessions_ended_check CHECK ((status = 'ACTIVE') = (ended_at IS NULL))
      )`);
    await db.query(`CREATE INDEX sessions_user_active_idx ON sessions (user_id, last_activity_at) WHERE status = 'ACTIVE'`);
    await db.query(`CREATE INDEX sessions_device_idx ON sessions (device_id)`);
    await db.query(`
      CREATE TABLE refresh_tokens (
        token_hash bytea PRIMARY KEY,
        session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        generation integer NOT NULL,
        created_at timestamptz NOT NULL,
        CONSTRAINT refresh_tokens_one_per_generation UNIQUE (session_id, generation)
      )`);
    await db.query(`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        algorithm varchar(16) NOT NULL,
        public_jwk jsonb NOT NULL,
        private_key_ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL,
        activated_at timestamptz NOT NULL,
        retired_at timestamptz
      )`);
    await db.query(`
      CREATE TABLE app_secrets (
        name text PRIMARY KEY,
        ciphertext bytea NOT NULL,
        created_at timestamptz NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE app_secrets');
    await db.query('DROP TABLE signing_keys');
    await db.query('DROP TABLE refresh_tokens');
    await db.query('DROP TABLE sessions');
    await db.query('DROP TABLE devices');
    await db.query('DROP TABLE users');
  }
}
