import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { SignJWT } from 'jose';
import pg from 'pg';

/** RS256 signatures per second with what the service signs with: jose and a KeyObject. */
export async function signatureCeiling(durationMs: number): Promise<number> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < durationMs) {
    await new SignJWT({ sid: randomUUID(), roles: ['USER'], gen: 1 })
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'bench' })
      .setIssuer('http://localhost:3000')
      .setAudience('tessera')
      .setSubject(randomUUID())
      .setJti(randomUUID())
      .setIssuedAt()
      .setExpirationTime('15m')
      .sign(privateKey);
    count += 1;
  }
  return (count / (performance.now() - started)) * 1000;
}

/**
 * Refresh rotations per second done with raw `pg`: the statements the service runs for one
 * rotation (lookup, user lock, session lock, new token row, session update, device touch,
 * event version), on seeded sessions, `concurrency` at a time.
 */
export async function rotationCeiling(databaseUrl: string, sessions: readonly { id: string; userId: string; deviceId: string }[], durationMs: number): Promise<number> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: sessions.length });
  const generation = new Map<string, number>();
  const tokens = new Map<string, Buffer>();
  for (const session of sessions) {
    // Far above anything the service issued, and above an earlier run's last generation.
    const { rows } = await pool.query(`SELECT COALESCE(max(generation), 0) + 1000000 AS start FROM refresh_tokens WHERE session_id = $1`, [session.id]);
    generation.set(session.id, Number(rows[0].start));
    const hash = randomBytes(32);
    await pool.query(`INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($1, $2, $3, now())`, [hash, session.id, generation.get(session.id)]);
    tokens.set(session.id, hash);
  }
  const started = performance.now();
  let count = 0;
  await Promise.all(
    sessions.map(async (session) => {
      while (performance.now() - started < durationMs) {
        const client = await pool.connect();
        try {
          const next = generation.get(session.id)! + 1;
          const hash = randomBytes(32);
          await client.query(`SELECT t.session_id, s.user_id, t.generation FROM refresh_tokens t JOIN sessions s ON s.id = t.session_id WHERE t.token_hash = $1`, [tokens.get(session.id)]);
          await client.query('BEGIN');
          await client.query(`SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, [session.userId]);
          await client.query(`SELECT * FROM sessions WHERE id = $1 FOR UPDATE`, [session.id]);
          await client.query(`INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($1, $2, $3, now())`, [hash, session.id, next]);
          await client.query(
            `UPDATE sessions SET refresh_generation = $2, refresh_committed_generation = $2 - 1, refresh_rotated_at = now(),
               refresh_successor_ciphertext = $3, last_activity_at = now() WHERE id = $1 RETURNING id`,
            [session.id, next, randomBytes(80)],
          );
          await client.query(`UPDATE devices SET last_seen_at = now() WHERE id = $1 AND last_seen_at < now()`, [session.deviceId]);
          await client.query(`UPDATE users SET event_version = event_version + 1 WHERE id = $1 RETURNING event_version`, [session.userId]);
          await client.query('COMMIT');
          generation.set(session.id, next);
          tokens.set(session.id, hash);
          count += 1;
        } finally {
          client.release();
        }
      }
    }),
  );
  const perSecond = (count / (performance.now() - started)) * 1000;
  await pool.end();
  return perSecond;
}
