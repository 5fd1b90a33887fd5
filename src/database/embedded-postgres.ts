import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  readonly url: string;
  stop(): Promise<void>;
}

export const IN_MEMORY_DATA_DIR = 'memory://';

/**
 * Runs PostgreSQL (PGlite) in this process and exposes it on a loopback port, so the app
 * uses the same `pg` driver, SQL and migrations as on a real server. One connection only:
 * more than one lost acknowledged writes in our checks (STACK.md).
 */
export async function startEmbeddedPostgres(dataDir: string, options: { initialDataDir?: Blob } = {}): Promise<EmbeddedPostgres> {
  const inMemory = dataDir === IN_MEMORY_DATA_DIR;
  if (!inMemory) mkdirSync(dataDir, { recursive: true });
  // An in-memory database may start from a snapshot of a freshly initialised one (PGlite's
  // dumpDataDir), which spares initdb: the tests start one per file.
  const db = await PGlite.create({
    dataDir: inMemory ? undefined : `${dataDir.replace(/\/$/, '')}/pgdata`,
    loadDataDir: inMemory ? options.initialDataDir : undefined,
  });
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 1 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async stop() {
      await server.stop();
      await db.close();
    },
  };
}
