import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

export type TestDatabaseKind = 'embedded' | 'postgres';

/** Which database this Jest project runs against (set in jest.config.js). */
export function testDatabaseKind(): TestDatabaseKind {
  const kind = (globalThis as { TESSERA_TEST_DATABASE?: string }).TESSERA_TEST_DATABASE;
  return kind === 'postgres' ? 'postgres' : 'embedded';
}

const serverUrl = () => process.env.TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function withAdminClient<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl(), connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export interface TestDatabase {
  /** Environment for loadConfig: DATABASE_URL of a fresh database, or the embedded one in memory. */
  readonly env: Record<string, string>;
  /** For the embedded database: the initialised PGlite the global setup saved (test/setup/pglite-snapshot.js). */
  readonly embeddedSnapshot?: Blob;
  drop(): Promise<void>;
}

const SNAPSHOT_PATH = join(import.meta.dirname, '..', '..', '.build', 'pglite-snapshot.tar');

/** Each test app gets a database of its own: an empty PostgreSQL database, or an in-memory PGlite. */
export async function createTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind() === 'embedded') {
    const embeddedSnapshot = existsSync(SNAPSHOT_PATH) ? new Blob([readFileSync(SNAPSHOT_PATH)]) : undefined;
    return { env: { DATA_DIR: 'memory://' }, embeddedSnapshot, drop: async () => {} };
  }
  // The creating process's id in the name: a later run's clean-up leaves a running run's databases alone.
  const name = `tessera_test_${process.pid}_${randomBytes(6).toString('hex')}`;
  await withAdminClient((client) => client.query(`CREATE DATABASE "${name}"`));
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return {
    env: { DATABASE_URL: url.toString() },
    drop: () => withAdminClient((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => {}),
  };
}

/**
 * A database that outlives the app, for tests that stop a service and start it again on the same
 * data: a fresh PostgreSQL database, or an embedded one on disk in a temporary DATA_DIR, seeded
 * from the run's initialised PGlite (test/setup/pglite-snapshot.js) to spare initdb (about 5 s).
 */
export async function createRestartableTestDatabase(): Promise<TestDatabase> {
  if (testDatabaseKind() === 'postgres') return createTestDatabase();
  const dataDir = await mkdtemp(join(tmpdir(), 'tessera-restartable-'));
  await seedEmbeddedDataDir(dataDir);
  return { env: { DATA_DIR: dataDir }, drop: () => rm(dataDir, { recursive: true, force: true }) };
}

/** Puts the run's initialised PGlite where the service will look for it in DATA_DIR, sparing its initdb. */
export async function seedEmbeddedDataDir(dataDir: string): Promise<void> {
  if (!existsSync(SNAPSHOT_PATH)) return;
  await mkdir(join(dataDir, 'pgdata'), { recursive: true });
  const seeded = await PGlite.create({ dataDir: join(dataDir, 'pgdata'), loadDataDir: new Blob([readFileSync(SNAPSHOT_PATH)]) });
  await seeded.close();
}
