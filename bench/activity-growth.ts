import pg from 'pg';

/** Users the seeded activity belongs to: as many rows each as a busy account gathers in a month. */
const SEEDED_USERS = 10_000;
/** The seeded entries are spread over this many past days, each day a partition as the service makes them. */
const DAYS = 30;
/** Rows per INSERT: one statement per batch keeps each transaction and its WAL bounded. */
const BATCH = 2_000_000;

/**
 * Seeds activity entries by SQL for other users, rows `from` to `to` (exclusive), spread over the
 * last DAYS days in the day partitions the service would have created by then, as refreshes from
 * 250 addresses. Ids come from the row number, so a second call continues where the first stopped.
 */
export async function seedActivity(databaseUrl: string, from: number, to: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO users (id, email, password_hash, roles, created_at)
       SELECT md5('activity-user-' || k)::uuid, 'activity-' || k || '@growth.example', 'not a password hash', '{USER}', now()
         FROM generate_series(0, $1::int - 1) k
       ON CONFLICT DO NOTHING`,
      [SEEDED_USERS],
    );
    const today = Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate());
    for (let d = 1; d <= DAYS; d++) {
      const day = new Date(today - d * 86_400_000);
      const next = new Date(day.getTime() + 86_400_000);
      const name = `session_activity_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;
      await client.query(
        `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF session_activity FOR VALUES FROM ('${day.toISOString()}') TO ('${next.toISOString()}')`,
      );
    }
    for (let start = from; start < to; start += BATCH) {
      const end = Math.min(start + BATCH, to);
      await client.query('BEGIN');
      // As pg_restore does: consistent by construction, so the foreign-key triggers are skipped.
      await client.query(`SET LOCAL session_replication_role = replica`);
      await client.query(
        `INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
         SELECT md5('activity-' || j)::uuid, md5('activity-user-' || (j % $3::int))::uuid, NULL, 'TOKEN_REFRESHED',
                now() - interval '1 day' - (j % ($4::int * 86400 - 86400)) * interval '1 second', '198.51.100.' || (j % 250), 'SeededApp/1.0', NULL
           FROM generate_series($1::bigint, $2::bigint) j`,
        [start, end - 1, SEEDED_USERS, DAYS],
      );
      await client.query('COMMIT');
    }
    await client.query('ANALYZE session_activity');
  } finally {
    await client.end();
  }
}

/** A month of history for each given user (the chains' own): `perUser` refreshes from 50 addresses over the past days. */
export async function seedHistoryOf(databaseUrl: string, userIds: readonly string[], perUser: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
       SELECT gen_random_uuid(), u, NULL, 'TOKEN_REFRESHED', now() - interval '1 day' - (j * 600) * interval '1 second',
              '192.0.2.' || (j % 50), 'SeededApp/1.0', NULL
         FROM unnest($1::uuid[]) u, generate_series(0, $2::int - 1) j`,
      [userIds, perUser],
    );
  } finally {
    await client.end();
  }
}
