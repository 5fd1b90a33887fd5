import pg from 'pg';

/** Bytes (pg_total_relation_size: heap, indexes, TOAST) and rows of one table, or of a partitioned table's whole tree. */
export interface TableSize {
  readonly bytes: number;
  readonly rows: number;
}

export interface StorageReading {
  /** Refreshes made so far in the scenario. */
  readonly refreshes: number;
  readonly activeSessions: number;
  /** Session state: what an active session holds, and must not grow with its refreshes. */
  readonly sessions: TableSize;
  /** Undefined when the table no longer exists (refresh tokens kept elsewhere). */
  readonly refreshTokens: TableSize | undefined;
  /** The append-only logs, bounded by retention rather than by the number of sessions. */
  readonly activity: TableSize & { readonly partitions: number };
  readonly outbox: TableSize;
  /** The server's autovacuum setting: without it, dead row versions stay in the byte counts until a manual VACUUM. */
  readonly autovacuum: string;
}

/** Reads the sizes of the session-state tables and the logs in the database `databaseUrl`. */
export async function readStorage(databaseUrl: string, refreshes: number): Promise<StorageReading> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const size = async (table: string): Promise<TableSize | undefined> => {
      const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [table]);
      if (!rows[0].exists) return undefined;
      const measured = await client.query<{ bytes: string; rows: string }>(
        // pg_partition_tree lists a partitioned table's whole tree, and nothing for a plain table.
        `SELECT coalesce((SELECT sum(pg_total_relation_size(relid)) FROM pg_partition_tree($1::regclass)), pg_total_relation_size($1::regclass)) AS bytes,
                (SELECT count(*) FROM ${table}) AS rows`,
        [table],
      );
      return { bytes: Number(measured.rows[0].bytes), rows: Number(measured.rows[0].rows) };
    };
    const active = await client.query<{ count: string }>(`SELECT count(*) FROM sessions WHERE status = 'ACTIVE'`);
    const partitions = await client.query<{ count: string }>(
      `SELECT count(*) FROM pg_partition_tree('session_activity'::regclass) WHERE isleaf`,
    );
    const autovacuum = await client.query<{ setting: string }>(`SELECT current_setting('autovacuum') AS setting`);
    const none = { bytes: 0, rows: 0 };
    return {
      refreshes,
      activeSessions: Number(active.rows[0].count),
      sessions: (await size('sessions')) ?? none,
      refreshTokens: await size('refresh_tokens'),
      activity: { ...((await size('session_activity')) ?? none), partitions: Number(partitions.rows[0].count) },
      outbox: (await size('session_outbox')) ?? none,
      autovacuum: autovacuum.rows[0].setting,
    };
  } finally {
    await client.end();
  }
}

/** Per active session: the session state (sessions + refresh_tokens) in bytes and rows. */
export function perSession(reading: StorageReading): { bytes: number; rows: number; refreshTokenRows: number } {
  const sessions = reading.activeSessions || Number.NaN;
  const tokens = reading.refreshTokens ?? { bytes: 0, rows: 0 };
  return {
    bytes: (reading.sessions.bytes + tokens.bytes) / sessions,
    rows: (reading.sessions.rows + tokens.rows) / sessions,
    refreshTokenRows: tokens.rows / sessions,
  };
}

/**
 * Refreshes the chains until `count` refreshes have been made in all, one request at a time per
 * chain (each with the token it last got), the chains taking turns as they finish. Throws at the
 * first refusal: the scenario counts refreshes, and a lost chain would leave the count short.
 */
export async function refreshTimes(
  tokens: string[],
  refresh: (token: string, chain: number) => Promise<string>,
  count: number,
): Promise<void> {
  let claimed = 0;
  await Promise.all(
    tokens.map(async (_, chain) => {
      while (claimed < count) {
        claimed += 1;
        tokens[chain] = await refresh(tokens[chain], chain);
      }
    }),
  );
}
