import { chmodSync, lstatSync, mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { DATABASE_DIRECTORY, IN_MEMORY_DATA_DIR, makeDataDirPrivate } from './data-dir.js';
import { ensureOwnerOnlyDirectory, OWNER_ONLY_FILE_MODE } from './owner-only-files.js';
import { OwnerOnlyNodeFS } from './owner-only-node-fs.js';

export { IN_MEMORY_DATA_DIR } from './data-dir.js';

export interface EmbeddedPostgres {
  /** A `pg` connection string to the database's Unix socket. */
  readonly url: string;
  stop(): Promise<void>;
}

/** pg looks for `${host}/.s.PGSQL.${port}`, the name PostgreSQL itself gives its socket. */
const SOCKET_PORT = 5432;
const SOCKET_FILE = `.s.PGSQL.${SOCKET_PORT}`;
/** A socket path must fit sockaddr_un.sun_path: 108 bytes on Linux, 104 on macOS, each with a NUL. */
const MAX_SOCKET_PATH_BYTES = 103;
/** What listen() answers in a directory whose filesystem cannot hold a socket (some network and VM-shared mounts). */
const SOCKETLESS_FILESYSTEM_ERRORS = new Set(['EOPNOTSUPP', 'ENOTSUP', 'EPERM', 'EACCES', 'EINVAL', 'ENAMETOOLONG']);

interface SocketDirectory {
  readonly path: string;
  /** Made for this run because DATA_DIR cannot hold the socket, or there is no DATA_DIR; removed at stop. */
  readonly temporary: boolean;
}

const fitsSocketAddress = (directory: string) => Buffer.byteLength(join(directory, SOCKET_FILE)) <= MAX_SOCKET_PATH_BYTES;

/**
 * The stand-in for DATA_DIR: mkdtemp makes the directory 0700 in the same call that creates it,
 * so it is private from its first instant, like DATA_DIR.
 */
function temporarySocketDirectory(): SocketDirectory {
  const path = mkdtempSync(join(tmpdir(), 'tessera-db-'));
  if (!fitsSocketAddress(path)) {
    rmSync(path, { recursive: true, force: true });
    throw new Error(`No directory short enough for the embedded database's socket: shorten DATA_DIR or TMPDIR (${path})`);
  }
  return { path, temporary: true };
}

function removeSocketDirectory(directory: SocketDirectory): void {
  if (directory.temporary) rmSync(directory.path, { recursive: true, force: true });
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((settle) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      settle(true);
    });
    probe.once('error', () => settle(false));
  });
}

/**
 * A socket left behind by a process that was killed (kill -9 runs no clean-up) would make
 * listen() fail. One that still answers belongs to a running process on the same DATA_DIR, and
 * a PGlite directory has no lock of its own: two processes writing it would corrupt it.
 */
async function removeStaleSocket(path: string): Promise<void> {
  try {
    if (!lstatSync(path).isSocket()) throw new Error(`${path} is in the way of the embedded database's socket`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  if (await socketAnswers(path)) throw new Error(`Another process is running the embedded database at ${path}`);
  unlinkSync(path);
}

/**
 * The directory is owner-only before listen() creates the socket in it, so nobody else can reach
 * the socket even in the instant before its own mode is narrowed to 0600 below.
 */
async function listenIn(db: PGlite, directory: SocketDirectory): Promise<PGLiteSocketServer> {
  const path = join(directory.path, SOCKET_FILE);
  const server = new PGLiteSocketServer({ db, path, maxConnections: 1 });
  try {
    await server.start();
    chmodSync(path, OWNER_ONLY_FILE_MODE);
    return server;
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Runs PostgreSQL (PGlite) in this process and serves it on a Unix socket in an owner-only
 * directory, so the app uses the same `pg` driver, SQL and migrations as on a real server while
 * the only TCP port the process opens is the app's own: PGlite has no authentication, so a port
 * would let any local user read and change everything. One connection only: more than one lost
 * acknowledged writes in our checks (STACK.md).
 *
 * The socket is DATA_DIR/.s.PGSQL.5432. When DATA_DIR's path is too long for a socket address,
 * or its filesystem holds no sockets, or the database is in memory, it is in a private directory
 * made for the run under the system's temporary directory instead, removed at stop.
 */
export async function startEmbeddedPostgres(dataDir: string, options: { initialDataDir?: Blob } = {}): Promise<EmbeddedPostgres> {
  const onDisk = dataDir === IN_MEMORY_DATA_DIR ? undefined : resolve(dataDir);
  if (onDisk) makeDataDirPrivate(onDisk);
  let socketDirectory = onDisk && fitsSocketAddress(onDisk) ? { path: onDisk, temporary: false } : temporarySocketDirectory();

  let db: PGlite | undefined;
  let server: PGLiteSocketServer;
  try {
    if (!socketDirectory.temporary) await removeStaleSocket(join(socketDirectory.path, SOCKET_FILE));
    if (onDisk) {
      const databaseDirectory = join(onDisk, DATABASE_DIRECTORY);
      ensureOwnerOnlyDirectory(databaseDirectory);
      db = await PGlite.create({ fs: new OwnerOnlyNodeFS(databaseDirectory) });
    } else {
      // An in-memory database may start from a snapshot of a freshly initialised one (PGlite's
      // dumpDataDir), which spares initdb: the tests start one per file.
      db = await PGlite.create({ loadDataDir: options.initialDataDir });
    }
    try {
      server = await listenIn(db, socketDirectory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (socketDirectory.temporary || !SOCKETLESS_FILESYSTEM_ERRORS.has(code)) throw error;
      socketDirectory = temporarySocketDirectory();
      server = await listenIn(db, socketDirectory);
    }
  } catch (error) {
    await db?.close();
    removeSocketDirectory(socketDirectory);
    throw error;
  }

  const running = { db, server, socketDirectory };
  return {
    url: `postgres://postgres@/postgres?host=${encodeURIComponent(running.socketDirectory.path)}&port=${SOCKET_PORT}`,
    // net.Server removes its socket file when it closes.
    async stop() {
      await running.server.stop();
      await running.db.close();
      removeSocketDirectory(running.socketDirectory);
    },
  };
}
