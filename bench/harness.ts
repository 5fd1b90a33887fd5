/** What the bench's programs share: a database of their own, signed-in chains, the peer as a process. */
import { spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import type { BenchClient, Grant } from './client.js';
import { freePort } from '../test/helpers/service-process.js';

const root = join(import.meta.dirname, '..');
export const serverUrl = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const PASSWORD = 'bench password, long enough';

/**
 * The environment every service the bench starts runs with (on top of its DATABASE_URL). The load
 * generator is one client address with many users and, in the fan-out, a thousand sockets of one
 * session, so the per-address and per-session limits are lifted.
 */
export function benchServiceEnvironment(): Record<string, string> {
  return {
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    // One issuer for every instance: unset, each would name its own port and refuse the others' tokens.
    JWT_ISSUER: 'http://localhost:3000',
    REFRESH_RATE_LIMIT: '10000000',
    REGISTRATION_RATE_LIMIT: '100000',
    WS_MAX_CONNECTIONS_PER_SESSION: '10000',
    WS_MAX_CONNECTIONS_PER_USER: '10000',
    LOG_LEVEL: 'error',
  };
}

export async function createDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `tessera_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * One session per user, as on a real service where each chain is somebody's phone: changes of
 * one user's sessions are serialised on purpose (their event versions), so chains sharing a user
 * would measure that queue instead of the service.
 */
export async function openSessions(client: BenchClient, count: number): Promise<Grant[]> {
  const grants: Grant[] = [];
  for (let i = 0; i < count; i++) {
    const email = `bench-${randomUUID()}@example.com`;
    await client.register(email, PASSWORD);
    grants.push(await client.login(email, PASSWORD, `bench-device-${i}`));
  }
  return grants;
}

/** The peer (bench/peer.ts) as a process of its own; `nodeArgs` go to node itself (a profile's --inspect). */
export async function startPeer(
  nodeArgs: readonly string[] = [],
): Promise<{ baseUrl: string; pid: () => number | undefined; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', join(root, 'bench', 'peer.ts'), String(port)], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('peer listening')) resolve();
    });
    child.once('exit', () => reject(new Error(`the peer exited: ${output}`)));
  });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: () => (child.exitCode === null ? child.pid : undefined),
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
