import pg from 'pg';

/**
 * Seeds sessions by SQL (not through the API), so that a database holds `total` sessions of
 * other people: ten per user, one device per user, one refresh token per session, all active
 * and recent, as they would be on a busy service. Ids are derived from the row number, so a
 * second call continues where the first stopped.
 */
export async function seedSessions(databaseUrl: string, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const perUser = 10;
    const firstUser = Math.floor(from / perUser);
    const lastUser = Math.floor((to - 1) / perUser);
    await client.query('BEGIN');
    // As pg_restore does: the rows are consistent by construction, so the foreign-key triggers
    // (a lookup per row) are skipped. Needs a superuser, which the bench's database URL is.
    await client.query(`SET LOCAL session_replication_role = replica`);
    await client.query(
      `INSERT INTO users (id, email, password_hash, roles, created_at)
       SELECT md5('seed-user-' || i)::uuid, 'seed-' || i || '@growth.example', 'not a password hash', '{USER}', now()
         FROM generate_series($1::int, $2::int) i
       ON CONFLICT DO NOTHING`,
      [firstUser, lastUser],
    );
    await client.query(
      `INSERT INTO devices (id, user_id, fingerprint, type, name, trusted, first_seen_at, last_seen_at)
       SELECT md5('seed-device-' || i)::uuid, md5('seed-user-' || i)::uuid, sha256(('seed-device-' || i)::bytea), 'IOS', 'Seeded phone', false, now(), now()
         FROM generate_series($1::int, $2::int) i
       ON CONFLICT DO NOTHING`,
      [firstUser, lastUser],
    );
    await client.query(
      // As a login leaves a session: its first refresh token's hash on the row (no refresh_tokens row since flat storage).
      `INSERT INTO sessions (id, user_id, device_id, status, created_at, authenticated_at, last_activity_at, expires_at, ip_address, user_agent,
                             refresh_token_hash)
       SELECT md5('seed-session-' || j)::uuid, md5('seed-user-' || (j / ${perUser}))::uuid, md5('seed-device-' || (j / ${perUser}))::uuid,
              'ACTIVE', now(), now(), now(), now() + interval '7 days', '203.0.113.' || (j % 250), 'SeededApp/1.0',
              sha256(('seed-token-' || j)::bytea)
         FROM generate_series($1::int, $2::int) j`,
      [from, to - 1],
    );
    await client.query('COMMIT');
    await client.query('VACUUM ANALYZE users, devices, sessions');
  } finally {
    await client.end();
  }
}
