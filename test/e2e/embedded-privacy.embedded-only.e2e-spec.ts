import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTesseraApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { seedEmbeddedDataDir } from '../helpers/test-database.js';
import { startTestApp } from '../helpers/test-app.js';

/**
 * The security review's finding: PGlite served on a loopback port without a password, so a local
 * process running as `nobody` read password hashes, made itself ADMIN and froze the service with
 * pg_sleep; and the database files, WAL included, were 0666. These hold the fix in place: the
 * only TCP listener is PORT, the database's socket and files are its owner's alone.
 */

const LISTEN = '0A';

/** The inodes of the sockets a process holds open, read from its file descriptors. */
function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    let target: string;
    try {
      target = readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed between the listing and the read
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode) inodes.add(inode);
  }
  return inodes;
}

/**
 * Every TCP port, IPv4 and IPv6, that this process listens on. /proc/<pid>/net/tcp lists the
 * whole network namespace, so each entry is matched to the process by its socket inode, the way
 * `ss -ltnp` does it.
 */
function tcpListeningPorts(pid: number): number[] {
  const inodes = socketInodes(pid);
  const ports: number[] = [];
  for (const table of ['tcp', 'tcp6']) {
    for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').trim().split('\n').slice(1)) {
      const [, localAddress, , state, , , , , , inode] = line.trim().split(/\s+/);
      if (state === LISTEN && inodes.has(inode)) ports.push(parseInt(localAddress.split(':')[1], 16));
    }
  }
  return ports.sort((a, b) => a - b);
}

/** The process that listens on this port, found from the socket's inode like `ss -p` does. */
function pidListeningOn(port: number): number {
  const owners = new Set<number>();
  const listeners = ['tcp', 'tcp6'].flatMap((table) =>
    readFileSync(`/proc/net/${table}`, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter(([, localAddress, , state]) => state === LISTEN && parseInt(localAddress.split(':')[1], 16) === port)
      .map((fields) => fields[9]),
  );
  for (const entry of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const held = socketInodes(Number(entry));
      if (listeners.some((inode) => held.has(inode))) owners.add(Number(entry));
    } catch {
      // a process that ended, or one this user may not look into
    }
  }
  if (owners.size !== 1) throw new Error(`Expected one process listening on ${port}, found ${[...owners].join(', ') || 'none'}`);
  return [...owners][0];
}

/**
 * Everything under `root`, root included, that someone other than its owner could use:
 * directories not 0700, files (and the socket) not 0600. Symbolic links carry no mode of their own.
 */
function entriesOpenToOthers(root: string): string[] {
  const open: string[] = [];
  const visit = (path: string) => {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return;
    const expected = stats.isDirectory() ? 0o700 : 0o600;
    const mode = stats.mode & 0o7777;
    if (mode !== expected) open.push(`${mode.toString(8)} ${relative(root, path) || '.'}`);
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(root);
  return open;
}

/** A short, readable failure: the first few offenders and how many there are. */
function summary(entries: string[]): string[] {
  return entries.length <= 5 ? entries : [...entries.slice(0, 5), `…and ${entries.length - 5} more`];
}

/** What an earlier version left on disk: database files 0666, directories 0777, the key file included. */
function openUpLikeAnEarlierVersion(root: string): void {
  const stats = lstatSync(root);
  if (stats.isSymbolicLink()) return;
  chmodSync(root, stats.isDirectory() ? 0o777 : 0o666);
  if (stats.isDirectory()) for (const name of readdirSync(root)) openUpLikeAnEarlierVersion(join(root, name));
}

async function writeSomeData(graphql: GraphQLTestClient, user: TestUser): Promise<void> {
  for (let i = 0; i < 3; i++) {
    const session = await login(graphql, user);
    let refreshToken = session.tokens.refreshToken;
    for (let j = 0; j < 3; j++) refreshToken = (await refresh(graphql, refreshToken)).tokens.refreshToken;
  }
}

describe('the embedded database as an operator runs it (a process of its own)', () => {
  const root = mkdtempSync(join(tmpdir(), 'tessera-privacy-'));
  // Not created beforehand: the service makes it, as on a first `npm start`.
  const dataDir = join(root, 'data');
  let service: ServiceProcess;
  let graphql: GraphQLTestClient;
  let user: TestUser;

  beforeAll(async () => {
    service = new ServiceProcess(builtService(), { DATA_DIR: dataDir }, await freePort());
    await service.start(60_000);
    graphql = new GraphQLTestClient(`${service.baseUrl}/graphql`);
    user = await registerUser(graphql);
  }, 90_000);

  afterAll(async () => {
    await service?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('listens on PORT alone; the database answers on a Unix socket inside DATA_DIR', () => {
    const pid = pidListeningOn(service.port);
    expect(tcpListeningPorts(pid)).toEqual([service.port]);
    expect(lstatSync(join(dataDir, '.s.PGSQL.5432')).isSocket()).toBe(true);
  });

  it('keeps every file 0600 and every directory 0700 under DATA_DIR, WAL included, after start and after writes', async () => {
    expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);

    await writeSomeData(graphql, user);
    expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);

    // A clean shutdown checkpoints, which writes WAL segments and catalog files anew.
    await service.stop();
    expect(readdirSync(join(dataDir, 'pgdata', 'pg_wal')).length).toBeGreaterThan(0);
    expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);
  }, 90_000);

  it('narrows, at start-up, a DATA_DIR that an earlier version left 0666 and 0777', async () => {
    // The service stopped cleanly at the end of the test before (it runs them in order).
    await service.stop();
    openUpLikeAnEarlierVersion(dataDir);
    expect(entriesOpenToOthers(dataDir).length).toBeGreaterThan(100);

    await service.start(60_000);
    expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);
    // Nothing was lost on the way: the account from before still signs in and writes.
    await writeSomeData(graphql, user);
    expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);
  }, 90_000);
});

describe('the embedded database inside the test process', () => {
  it('opens no TCP port for an in-memory database (how the tests run)', async () => {
    const before = tcpListeningPorts(process.pid);
    const app = await startTestApp();
    try {
      const appPort = Number(new URL(app.baseUrl).port);
      expect(tcpListeningPorts(process.pid).filter((port) => !before.includes(port))).toEqual([appPort]);
      await registerUser(app.graphql); // the database behind it works
    } finally {
      await app.close();
    }
  });

  it('opens no TCP port when DATA_DIR is too long for a socket address, and keeps it private', async () => {
    const root = mkdtempSync(join(tmpdir(), 'tessera-privacy-long-'));
    // Unix socket paths stop at 107 bytes (103 on macOS); this one would need about 200.
    const dataDir = join(root, 'a'.repeat(80), 'b'.repeat(80));
    mkdirSync(dataDir, { recursive: true });
    await seedEmbeddedDataDir(dataDir);
    const before = tcpListeningPorts(process.pid);
    const tessera = await createTesseraApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
    try {
      await tessera.app.listen(0, '127.0.0.1');
      const { port } = tessera.app.getHttpServer().address() as AddressInfo;
      expect(tcpListeningPorts(process.pid).filter((listening) => !before.includes(listening))).toEqual([port]);
      const graphql = new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`);
      await writeSomeData(graphql, await registerUser(graphql));
      expect(summary(entriesOpenToOthers(dataDir))).toEqual([]);
    } finally {
      await tessera.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 90_000);
});
