/**
 * `npm run bench [-- --quick]`: measures the service the way an engineer choosing between it and
 * a peer would, in one run on one machine, and writes BENCHMARKS.md and bench/results.json.
 * Starts what it needs: the built service on a fresh PostgreSQL database, a second instance with
 * Redis for propagation, the peer (oidc-provider), the service on the embedded database, and one
 * more on a database seeded with many sessions.
 */
import 'reflect-metadata';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createClient, type Client } from 'graphql-ws';
import { Redis } from 'ioredis';
import pg from 'pg';
import WebSocket from 'ws';
import { freePort, ServiceProcess } from '../test/helpers/service-process.js';
import { BenchClient, BoundDevice, postJson } from './client.js';
import { openInspector } from './inspector.js';
import { benchServiceEnvironment, createDatabase, openSessions, PASSWORD, startPeer } from './harness.js';
import { DeviceKey } from '../test/helpers/device-key.js';
import { rotationCeiling, signatureCeiling } from './ceilings.js';
import { runChains, runClosedLoop, type ChainRun } from './chains.js';
import { seedActivity, seedHistoryOf } from './activity-growth.js';
import { seedSessions } from './growth.js';
import { perSession, readStorage, refreshTimes, type StorageReading } from './flat-storage.js';
import { mintPeerRefreshTokens, refreshAtPeer } from './peer.js';
import { perRequest, postgresServerPids, startCpuWindow, type ProcessGroups } from './process-cpu.js';
import { repeated, summarise, type Repeated } from './stats.js';

const quick = process.argv.includes('--quick');
const RUNS = quick ? 1 : 3;
const DURATION_MS = quick ? 1_500 : 5_000;
/** Load before each measured scenario, the same as it measures, not measured: JIT, pools, caches, PostgreSQL's plans. */
const WARMUP_MS = quick ? 500 : 20_000;
/** The flat-storage scenario: sessions, and the refreshes of them in all at its second reading (its first is after one each). */
const FLAT_SESSIONS = 100;
const FLAT_REFRESHES = quick ? 2_000 : 100_000;
/** Where the server runs without autovacuum: refreshes between the VACUUMs that stand in for it. */
const VACUUM_EVERY = 1_000;
const REVOCATIONS = quick ? 20 : 200;
const SUBSCRIBERS = quick ? 200 : 1_000;
const FAN_OUTS = quick ? 3 : 10;
const GROWTH = quick ? [10_000, 100_000] : [10_000, 1_000_000];
// 50 million took 33 minutes to seed on the two-core bench machine, longer than the rest of the
// bench together: the full run seeds 10 million, a fifth of it, into the same month of partitions.
const ACTIVITY_GROWTH = quick ? [50_000, 500_000] : [50_000, 10_000_000];
/**
 * `--activity-growth=<entries>` runs the activity-growth scenario alone, from ACTIVITY_GROWTH[0] to
 * that many entries (the issue's 50 million), and writes bench/ACTIVITY-GROWTH-LARGE.md, which the
 * full run's BENCHMARKS.md includes: it outlasts the rest of the bench, so it runs apart.
 */
const largeActivityGrowth = Number(process.argv.find((arg) => arg.startsWith('--activity-growth='))?.split('=')[1] ?? 0);
/** Each chain's own history in the activity-growth scenario: a busy month's refreshes. */
const CHAIN_HISTORY = 1_000;
const root = join(import.meta.dirname, '..');
const mainJs = join(root, 'dist', 'src', 'main.js');
const redisUrl = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Throughput {
  readonly requestsPerSecond: Repeated;
  readonly p50Ms: Repeated;
  readonly p99Ms: Repeated;
  /** p99 ÷ p50 of each run. */
  readonly p99OverP50: Repeated;
  /** Measured and warm-up errors together. */
  readonly errors: number;
  /** The warm-up's own throughput, to set beside the measured one. */
  readonly warmUp: { readonly ms: number; readonly requestsPerSecond: number };
  /**
   * CPU ms per completed request in each measured window: `server` is the service's process (or
   * the peer's), `postgres` the PostgreSQL processes of bench/process-cpu.ts (undefined where not
   * measurable: the embedded database runs inside the service), `loadGenerator` this process.
   */
  readonly cpuMsPerRequest: {
    readonly server: Repeated | undefined;
    readonly postgres: Repeated | undefined;
    readonly loadGenerator: Repeated;
  };
}

/** The processes whose CPU a scenario reports; `close` ends the monitoring connection. */
interface Meter {
  readonly groups: ProcessGroups<'server' | 'postgres'>;
  close(): Promise<void>;
}

/** CPU of `server()`'s process and, with a database URL, of the PostgreSQL processes working for that database. */
async function meter(server: () => number | undefined, databaseUrl?: string): Promise<Meter> {
  let client: pg.Client | undefined;
  if (databaseUrl) {
    client = new pg.Client({ connectionString: databaseUrl });
    // The growth scenarios drop their database with FORCE, which ends this connection.
    client.on('error', () => {});
    await client.connect();
  }
  const monitor = client;
  return {
    groups: {
      server: () => {
        const pid = server();
        return pid === undefined ? undefined : [pid];
      },
      postgres: () => (monitor ? postgresServerPids(monitor) : undefined),
    },
    close: async () => {
      await monitor?.end().catch(() => {});
    },
  };
}

const results: Record<string, unknown> = {};
const log = (line: string) => process.stdout.write(`${line}\n`);

/**
 * WARMUP_MS of the scenario's load, then RUNS measured windows of DURATION_MS, each with the CPU
 * the meter's processes and this one spent in it.
 */
async function throughput(label: string, cpu: Meter, run: (durationMs: number) => Promise<ChainRun>): Promise<Throughput> {
  const warm = await run(WARMUP_MS);
  const runs: ChainRun[] = [];
  const spent = { server: [] as (number | undefined)[], postgres: [] as (number | undefined)[], loadGenerator: [] as number[] };
  for (let i = 0; i < RUNS; i++) {
    const stop = await startCpuWindow(cpu.groups);
    const measured = await run(DURATION_MS);
    const window = await stop();
    runs.push(measured);
    const per = (ms: number | undefined) => (ms === undefined ? undefined : perRequest(ms, measured.requests));
    spent.server.push(per(window.server));
    spent.postgres.push(per(window.postgres));
    spent.loadGenerator.push(perRequest(window.loadGenerator, measured.requests));
  }
  const all = (values: (number | undefined)[]) => {
    const known = values.filter((value) => value !== undefined);
    return known.length === values.length ? repeated(known) : undefined;
  };
  const summaries = runs.map((r) => summarise(r.latenciesMs));
  const result: Throughput = {
    requestsPerSecond: repeated(runs.map((r) => r.requestsPerSecond)),
    p50Ms: repeated(summaries.map((s) => s.p50)),
    p99Ms: repeated(summaries.map((s) => s.p99)),
    p99OverP50: repeated(summaries.map((s) => s.p99 / s.p50)),
    errors: warm.errors + runs.reduce((sum, r) => sum + r.errors, 0),
    warmUp: { ms: WARMUP_MS, requestsPerSecond: warm.requestsPerSecond },
    cpuMsPerRequest: { server: all(spent.server), postgres: all(spent.postgres), loadGenerator: repeated(spent.loadGenerator) },
  };
  const ms = (r: Repeated | undefined) => (r ? r.median.toFixed(2) : '—');
  log(
    `${label}: ${result.requestsPerSecond.median.toFixed(0)} req/s (p50 ${result.p50Ms.median.toFixed(2)} ms, p99 ${result.p99Ms.median.toFixed(2)} ms, errors ${result.errors}; ` +
      `CPU ms/request: server ${ms(result.cpuMsPerRequest.server)}, PostgreSQL ${ms(result.cpuMsPerRequest.postgres)}, load generator ${ms(result.cpuMsPerRequest.loadGenerator)}; ` +
      `warm-up ${warm.requestsPerSecond.toFixed(0)} req/s over ${WARMUP_MS} ms)`,
  );
  results[label] = result;
  return result;
}

const LOGIN_CLIENTS = 8;

/** Logins per second: LOGIN_CLIENTS users, each signing in repeatedly from its own device. */
async function loginScenario(client: BenchClient, cpu: Meter): Promise<Throughput> {
  const emails: string[] = [];
  for (let i = 0; i < LOGIN_CLIENTS; i++) {
    const email = `bench-login-${randomUUID()}@example.com`;
    await client.register(email, PASSWORD);
    emails.push(email);
  }
  return throughput(`login ${LOGIN_CLIENTS} clients`, cpu, (durationMs) =>
    runChains(
      emails,
      async (email) => {
        await client.login(email, PASSWORD, `device-of-${email}`);
        return email;
      },
      durationMs,
    ),
  );
}

async function refreshScenarios(client: BenchClient, cpu: Meter, prefix: string, concurrencies: number[], kinds: ('graphql' | 'rest')[]) {
  const out: Record<string, Throughput> = {};
  for (const concurrency of concurrencies) {
    const tokens = (await openSessions(client, concurrency)).map((grant) => grant.tokens.refreshToken);
    for (const kind of kinds) {
      const refresh = kind === 'rest' ? (t: string) => client.refreshRest(t) : (t: string) => client.refreshGraphQL(t);
      out[`${kind}-${concurrency}`] = await throughput(`${prefix} refresh ${kind} ${concurrency} chains`, cpu, (durationMs) =>
        runChains(tokens, refresh, durationMs),
      );
    }
  }
  return out;
}

/** Time from revokeSession answered on B to (a) the event on A's subscriber, (b) A's first refusal of the token. */
/**
 * Refreshes of device-bound sessions (DPoP): each chain a device with its own P-256 key, a fresh
 * proof per refresh. The cost of making and checking a proof, as a ratio to the bearer refresh.
 */
async function boundRefreshScenario(client: BenchClient, cpu: Meter, chains: number): Promise<Throughput> {
  const devices: BoundDevice[] = [];
  const tokens: string[] = [];
  for (let i = 0; i < chains; i++) {
    const email = `bench-bound-${randomUUID()}@example.com`;
    await client.register(email, PASSWORD);
    const device = new BoundDevice(await DeviceKey.create());
    devices.push(device);
    tokens.push(await client.loginBound(email, PASSWORD, `bench-bound-device-${i}`, device));
  }
  return throughput(`PostgreSQL refresh rest ${chains} chains, device-bound (DPoP)`, cpu, (durationMs) =>
    runChains(tokens, (token, chain) => client.refreshRestBound(token, devices[chain]), durationMs),
  );
}

async function revocationPropagation(a: BenchClient, b: BenchClient) {
  const email = `bench-${randomUUID()}@example.com`;
  await a.register(email, PASSWORD);
  const laptop = await a.login(email, PASSWORD, 'bench-laptop');
  const arrivals = new Map<string, number>();
  const ws = createClient({
    url: `${a.baseUrl.replace('http', 'ws')}/graphql`,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${laptop.tokens.accessToken}` },
    retryAttempts: 0,
  });
  ws.subscribe<{ sessionEvents: { type: string; sessionId: string } }>(
    { query: 'subscription { sessionEvents { type sessionId } }' },
    {
      next: ({ data }) => {
        if (data?.sessionEvents.type === 'SESSION_REVOKED') arrivals.set(data.sessionEvents.sessionId, performance.now());
      },
      error: () => {},
      complete: () => {},
    },
  );
  await new Promise((resolve) => setTimeout(resolve, 300));
  const eventMs: number[] = [];
  const refusalMs: number[] = [];
  for (let i = 0; i < REVOCATIONS; i++) {
    const phone = await a.login(email, PASSWORD, 'bench-phone');
    await a.query('{ me { id } }', phone.tokens.accessToken);
    const revoked = await postJson(`${b.baseUrl}/api/auth/session/revoke`, { sessionId: phone.session.id }, laptop.tokens.accessToken);
    const answeredAt = performance.now();
    if (revoked.status !== 200) throw new Error(`revoke answered ${revoked.status}`);
    for (;;) {
      const response = await fetch(`${a.baseUrl}/api/auth/session/active`, {
        headers: { authorization: `Bearer ${phone.tokens.accessToken}` },
      });
      await response.arrayBuffer();
      if (response.status === 401) break;
      if (performance.now() - answeredAt > 5_000) throw new Error('A still accepts a token revoked on B 5 s ago');
    }
    refusalMs.push(performance.now() - answeredAt);
    while (!arrivals.has(phone.session.id) && performance.now() - answeredAt < 5_000)
      await new Promise((resolve) => setTimeout(resolve, 1));
    const arrived = arrivals.get(phone.session.id);
    if (arrived === undefined) throw new Error('the revocation event never reached the subscriber on A');
    eventMs.push(arrived - answeredAt);
  }
  await ws.dispose();
  const result = { event: summarise(eventMs), refusal: summarise(refusalMs), revocations: REVOCATIONS };
  log(
    `revocation on B seen on A: event p50 ${result.event.p50.toFixed(2)} ms p99 ${result.event.p99.toFixed(2)} ms; refusal p50 ${result.refusal.p50.toFixed(2)} ms p99 ${result.refusal.p99.toFixed(2)} ms`,
  );
  results.revocationPropagation = result;
  return result;
}

/**
 * The service's used heap right after a full garbage collection, asked through the V8 inspector
 * the bench started it with (--inspect): without the collection, garbage that happens to be
 * waiting would be counted, in either direction.
 */
async function heapUsedAfterGc(inspectorPort: number): Promise<number> {
  const inspector = await openInspector(inspectorPort);
  await inspector.call('HeapProfiler.collectGarbage');
  const { usedSize } = await inspector.call<{ usedSize: number }>('Runtime.getHeapUsage');
  inspector.close();
  return usedSize;
}

/** Waits until every subscriber has received the same number of events and none arrives for a while. */
async function quiet(received: readonly number[]): Promise<void> {
  for (let waited = 0; waited < 10_000; waited += 200) {
    const before = received.join(',');
    await new Promise((resolve) => setTimeout(resolve, 200));
    if (received.join(',') === before && received.every((count) => count === received[0])) return;
  }
}

/**
 * SUBSCRIBERS graphql-ws subscriptions of one user (its current session) on one instance; each
 * round opens two more sessions, waits until every subscriber has had their events (and the
 * new-device alerts'), then ends them with revokeAllSessions(exceptCurrent), and times the
 * request's start to the moment the last subscriber has both SESSION_REVOKED events.
 */
async function fanOut(client: BenchClient, inspectorPort: number) {
  const email = `bench-${randomUUID()}@example.com`;
  await client.register(email, PASSWORD);
  const current = await client.login(email, PASSWORD, 'bench-fan-out');
  const heapBefore = await heapUsedAfterGc(inspectorPort);
  const received = Array.from({ length: SUBSCRIBERS }, () => 0);
  const all = Array.from({ length: SUBSCRIBERS }, () => 0);
  let waiters: (() => void)[] = [];
  const sockets: Client[] = [];
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const ws = createClient({
      url: `${client.baseUrl.replace('http', 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${current.tokens.accessToken}` },
      retryAttempts: 0,
      lazy: false,
    });
    ws.subscribe<{ sessionEvents: { type: string } }>(
      { query: 'subscription { sessionEvents { type sessionId version } }' },
      {
        next: ({ data }) => {
          all[i] += 1;
          if (data?.sessionEvents.type !== 'SESSION_REVOKED') return;
          received[i] += 1;
          for (const wake of waiters) wake();
        },
        error: () => {},
        complete: () => {},
      },
    );
    sockets.push(ws);
  }
  await new Promise((resolve) => setTimeout(resolve, 2_000));
  const heapAfter = await heapUsedAfterGc(inspectorPort);
  const latencies: number[] = [];
  for (let round = 0; round < FAN_OUTS; round++) {
    await client.login(email, PASSWORD, `bench-fan-out-${round}-a`);
    await client.login(email, PASSWORD, `bench-fan-out-${round}-b`);
    await quiet(all);
    const target = (round + 1) * 2;
    const started = performance.now();
    const done = new Promise<void>((resolve) => {
      const check = () => {
        if (received.every((count) => count >= target)) {
          waiters = [];
          resolve();
        }
      };
      waiters.push(check);
      check();
    });
    await postJson(`${client.baseUrl}/api/auth/session/revoke-all`, { exceptCurrent: true }, current.tokens.accessToken);
    const timedOut = await Promise.race([
      done.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 10_000)),
    ]);
    if (timedOut) throw new Error(`fan-out round ${round}: not every subscriber had its events within 10 s`);
    latencies.push(performance.now() - started);
  }
  await Promise.all(sockets.map(async (ws) => await ws.dispose()));
  const result = {
    subscribers: SUBSCRIBERS,
    rounds: FAN_OUTS,
    toLastSubscriber: summarise(latencies),
    heapPerSubscriptionBytes: (heapAfter - heapBefore) / SUBSCRIBERS,
  };
  log(
    `fan-out to ${SUBSCRIBERS} subscribers: last event p50 ${result.toLastSubscriber.p50.toFixed(1)} ms, p99 ${result.toLastSubscriber.p99.toFixed(1)} ms; heap per idle subscription ≈ ${(result.heapPerSubscriptionBytes / 1024).toFixed(1)} KiB`,
  );
  results.fanOut = result;
  return result;
}

/** The peer as a process of its own, like the service: tsx bench/peer.ts <port>. */

async function peerScenarios(concurrencies: number[]) {
  const peer = await startPeer();
  const cpu = await meter(peer.pid);
  try {
    const out: Record<string, Throughput> = {};
    for (const concurrency of concurrencies) {
      const tokens = await mintPeerRefreshTokens(peer.baseUrl, concurrency);
      out[`peer-${concurrency}`] = await throughput(`peer (oidc-provider) refresh grant ${concurrency} chains`, cpu, (durationMs) =>
        runChains(tokens, (token) => refreshAtPeer(peer.baseUrl, token), durationMs),
      );
    }
    return out;
  } finally {
    await cpu.close();
    await peer.stop();
  }
}

/**
 * Refresh through REST with 16 chains on a database holding GROWTH[0] sessions, then GROWTH[1]:
 * the chains' own sessions plus sessions of other users seeded by SQL.
 */
async function growth(common: Record<string, string>) {
  const database = await createDatabase();
  const service = new ServiceProcess(mainJs, { ...common, DATABASE_URL: database.url }, await freePort());
  const cpu = await meter(() => service.pid, database.url);
  try {
    await service.start();
    const client = new BenchClient(service.baseUrl);
    const tokens = (await openSessions(client, 16)).map((grant) => grant.tokens.refreshToken);
    const out: Record<string, Throughput & { sessions: number; seedSeconds: number }> = {};
    let seeded = 16;
    for (const total of GROWTH) {
      const seedStarted = performance.now();
      await seedSessions(database.url, seeded, total);
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      seeded = total;
      log(`growth: ${fmt(total)} sessions seeded in ${seedSeconds.toFixed(1)} s`);
      out[String(total)] = {
        ...(await throughput(`refresh rest 16 chains, ${fmt(total)} sessions`, cpu, (durationMs) =>
          runChains(tokens, (t) => client.refreshRest(t), durationMs),
        )),
        sessions: total,
        seedSeconds,
      };
    }
    return out;
  } finally {
    await cpu.close();
    await service.stop();
    await database.drop();
  }
}

/**
 * Refresh through REST, and a page of the activity log (`sessionActivity(first: 20)`), with 16
 * chains on a database whose activity log holds ACTIVITY_GROWTH[0] entries of other users, then
 * ACTIVITY_GROWTH[1], seeded by SQL into a month of day partitions; each chain's user has
 * CHAIN_HISTORY entries of its own.
 */
async function activityGrowth(common: Record<string, string>, sizes: readonly number[] = ACTIVITY_GROWTH) {
  const database = await createDatabase();
  const service = new ServiceProcess(mainJs, { ...common, DATABASE_URL: database.url }, await freePort());
  const cpu = await meter(() => service.pid, database.url);
  try {
    await service.start();
    const client = new BenchClient(service.baseUrl);
    const emails = Array.from({ length: 16 }, () => `bench-activity-${randomUUID()}@example.com`);
    for (const email of emails) await client.register(email, PASSWORD);
    // Signed in again after each seeding, which may outlast the sessions' idle timeout.
    const signIn = () => Promise.all(emails.map((email, i) => client.login(email, PASSWORD, `bench-activity-device-${i}`)));
    const out: Record<string, { entries: number; seedSeconds: number; refresh: Throughput; page: Throughput }> = {};
    let seeded = 0;
    for (const total of sizes) {
      const seedStarted = performance.now();
      await seedActivity(database.url, seeded, total);
      if (seeded === 0)
        await seedHistoryOf(
          database.url,
          (await signIn()).map((grant) => grant.session.userId),
          CHAIN_HISTORY,
        );
      const seedSeconds = (performance.now() - seedStarted) / 1000;
      seeded = total;
      log(`activity growth: ${fmt(total)} entries seeded in ${seedSeconds.toFixed(1)} s`);
      const grants = await signIn();
      const tokens = grants.map((grant) => grant.tokens.refreshToken);
      const refresh = await throughput(`refresh rest 16 chains, ${fmt(total)} activity entries`, cpu, (durationMs) =>
        runChains(tokens, (t) => client.refreshRest(t), durationMs),
      );
      let next = 0;
      const page = await throughput(`activity page, 16 connections, ${fmt(total)} activity entries`, cpu, (durationMs) =>
        runClosedLoop(
          16,
          () =>
            client.query(
              '{ sessionActivity(first: 20) { edges { node { type occurredAt ipAddress } } } }',
              grants[next++ % grants.length].tokens.accessToken,
            ),
          durationMs,
        ),
      );
      out[String(total)] = { entries: total, seedSeconds, refresh, page };
    }
    return out;
  } finally {
    await cpu.close();
    await service.stop();
    await database.drop();
  }
}

/**
 * Flat storage: FLAT_SESSIONS sessions on a database of their own, refreshed once each (so
 * FLAT_SESSIONS refreshes in all), the tables' sizes read; then refreshed on to half of
 * FLAT_REFRESHES in all (REST, one chain per session) and read again, and on to FLAT_REFRESHES and
 * read a third time. The session state (sessions, refresh_tokens) should hold as many rows per
 * session at every reading, and as many bytes at the last two: between the first and the second,
 * each row gains the free space its updates leave for the next (a bound, not growth); the
 * activity log and the outbox get rows per refresh and are bounded by retention instead.
 */
async function flatStorage(common: Record<string, string>) {
  const database = await createDatabase();
  const service = new ServiceProcess(mainJs, { ...common, DATABASE_URL: database.url }, await freePort());
  try {
    await service.start();
    const client = new BenchClient(service.baseUrl);
    const tokens = (await openSessions(client, FLAT_SESSIONS)).map((grant) => grant.tokens.refreshToken);
    const refresh = (token: string) => client.refreshRest(token);
    // Autovacuum (PostgreSQL's default) keeps dead row versions from piling up; where the server
    // runs without it, as the bench machine's does, a VACUUM every VACUUM_EVERY refreshes stands in.
    const vacuum = await vacuumUnlessAutovacuum(database.url);
    let done = 0;
    const refreshUpTo = async (total: number) => {
      while (done < total) {
        const step = Math.min(VACUUM_EVERY, total - done);
        await refreshTimes(tokens, refresh, step);
        done += step;
        await vacuum();
      }
      return readStorage(database.url, done);
    };
    const first = await refreshUpTo(FLAT_SESSIONS);
    const started = performance.now();
    const middle = await refreshUpTo(FLAT_REFRESHES / 2);
    const last = await refreshUpTo(FLAT_REFRESHES);
    const seconds = (performance.now() - started) / 1000;
    const [before, halfway, after] = [first, middle, last].map(perSession);
    const result = {
      readings: [first, middle, last],
      bytesPerSessionRatio: after.bytes / before.bytes,
      rowsPerSessionRatio: after.rows / before.rows,
      /** The last reading's bytes per session against the middle one's: growth with refreshes, once the rows have their free space. */
      steadyBytesPerSessionRatio: after.bytes / halfway.bytes,
      secondsToLastReading: seconds,
    };
    log(
      `flat storage: session state per session ${fmt(before.bytes)} B, ${fmt(before.rows, 2)} rows after ${fmt(first.refreshes)} refreshes; ` +
        `${fmt(halfway.bytes)} B, ${fmt(halfway.rows, 2)} rows after ${fmt(middle.refreshes)}; ` +
        `${fmt(after.bytes)} B, ${fmt(after.rows, 2)} rows after ${fmt(last.refreshes)} (${seconds.toFixed(1)} s)`,
    );
    results.flatStorage = result;
    return result;
  } finally {
    await service.stop();
    await database.drop();
  }
}

/**
 * A VACUUM of the session-state tables, as autovacuum would run it, where the server has autovacuum
 * off; nothing where it has it on.
 */
async function vacuumUnlessAutovacuum(databaseUrl: string): Promise<() => Promise<void>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ setting: string; legacyTokens: boolean }>(
    `SELECT current_setting('autovacuum') AS setting, to_regclass('refresh_tokens') IS NOT NULL AS "legacyTokens"`,
  );
  await client.end();
  if (rows[0].setting === 'on') return () => Promise.resolve();
  const tables = rows[0].legacyTokens ? 'sessions, refresh_tokens' : 'sessions';
  return async () => {
    const vacuuming = new pg.Client({ connectionString: databaseUrl });
    await vacuuming.connect();
    await vacuuming.query(`VACUUM ${tables}`);
    await vacuuming.end();
  };
}

/** `--activity-growth=<entries>`: the activity-growth scenario alone, at that size. */
async function largeActivityGrowthRun(entries: number) {
  const started = Date.now();
  log(`Tessera bench, activity growth to ${fmt(entries)} entries: ${RUNS} run(s) of ${DURATION_MS} ms per scenario`);
  const grown = await activityGrowth(benchServiceEnvironment(), [ACTIVITY_GROWTH[0], entries]);
  const [small, large] = [grown[String(ACTIVITY_GROWTH[0])], grown[String(entries)]];
  const ratios = {
    refreshP50: large.refresh.p50Ms.median / small.refresh.p50Ms.median,
    pageP50: large.page.p50Ms.median / small.page.p50Ms.median,
  };
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
  const output = quick ? join(root, '.build', 'bench-quick') : root;
  mkdirSync(join(output, 'bench'), { recursive: true });
  writeFileSync(join(output, 'bench', 'activity-growth-large.json'), JSON.stringify({ machine, grown, ratios }, null, 2) + '\n');
  writeFileSync(
    join(output, 'bench', 'ACTIVITY-GROWTH-LARGE.md'),
    `## Growth: the activity log at ${fmt(entries)} entries

A run of its own (\`npm run bench -- --activity-growth=${entries}\`, ${new Date().toISOString().slice(0, 10)}, ${machine}):
the scenario above, from ${fmt(ACTIVITY_GROWTH[0])} entries to ${fmt(entries)}.

${activityGrowthTable(grown)}

Refresh p50 at ${fmt(entries)} entries ÷ at ${fmt(ACTIVITY_GROWTH[0])}: ${fmt(ratios.refreshP50, 2)}×; activity page p50: ${fmt(ratios.pageP50, 2)}× (target ≤ 1.2× each: ${met(ratios.refreshP50 <= 1.2 && ratios.pageP50 <= 1.2)}).
`,
  );
  log(`Wrote ${join(output, 'bench', 'ACTIVITY-GROWTH-LARGE.md')} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

async function main() {
  if (largeActivityGrowth > 0) return largeActivityGrowthRun(largeActivityGrowth);
  const started = Date.now();
  const database = await createDatabase();
  const common = benchServiceEnvironment();
  // A's inspector is used for one thing: a full collection before each heap reading.
  const inspectorPort = await freePort();
  const a = new ServiceProcess(mainJs, { ...common, DATABASE_URL: database.url, REDIS_URL: redisUrl }, await freePort(), [
    `--inspect=127.0.0.1:${inspectorPort}`,
  ]);
  const b = new ServiceProcess(mainJs, { ...common, DATABASE_URL: database.url, REDIS_URL: redisUrl }, await freePort());
  const embeddedDir = mkdtempSync(join(tmpdir(), 'tessera-bench-'));
  const embedded = new ServiceProcess(mainJs, { ...common, DATA_DIR: embeddedDir }, await freePort());
  try {
    log(`Tessera bench${quick ? ' (quick)' : ''}: ${RUNS} run(s) of ${DURATION_MS} ms per scenario`);
    const signatures = repeated(await sequence(RUNS, () => signatureCeiling(DURATION_MS)));
    log(`ceiling: RS256 signatures ${signatures.median.toFixed(0)}/s (JwtService, KeyObject, one core)`);
    results.signatureCeiling = signatures;

    await a.start();
    const cpuA = await meter(() => a.pid, database.url);
    const clientA = new BenchClient(a.baseUrl);
    const ceilingTokens = (await openSessions(clientA, 16)).map((grant) => grant.tokens.refreshToken);
    const rotations = repeated(await sequence(RUNS, () => rotationCeiling(database.url, ceilingTokens, DURATION_MS)));
    log(`ceiling: rotations ${rotations.median.toFixed(0)}/s (raw pg, the service's read and conditional write, 16 clients)`);
    results.rotationCeiling = rotations;

    const postgres = await refreshScenarios(clientA, cpuA, 'PostgreSQL', [16, 64], ['graphql', 'rest']);
    const bound = await boundRefreshScenario(clientA, cpuA, 16);

    const [session] = await openSessions(clientA, 1);
    const guarded = await throughput('guarded me, 50 connections', cpuA, (durationMs) =>
      runClosedLoop(50, () => clientA.query('{ me { id } }', session.tokens.accessToken), durationMs),
    );
    const unguarded = await throughput('unguarded __typename, 50 connections', cpuA, (durationMs) =>
      runClosedLoop(50, () => clientA.query('{ __typename }'), durationMs),
    );

    const logins = await loginScenario(clientA, cpuA);
    await cpuA.close();

    await b.start();
    const propagation = await revocationPropagation(clientA, new BenchClient(b.baseUrl));
    await b.stop();
    const fan = await fanOut(clientA, inspectorPort);
    await a.stop();

    const peer = await peerScenarios([16, 64]);

    await embedded.start();
    // PGlite runs inside the service's process: its CPU is in the service's column.
    const cpuEmbedded = await meter(() => embedded.pid);
    const embeddedResults = await refreshScenarios(new BenchClient(embedded.baseUrl), cpuEmbedded, 'embedded', [16], ['rest']);
    await embedded.stop();

    const flat = await flatStorage(common);
    const grown = await growth(common);
    const activityGrown = await activityGrowth(common);

    const ratios = {
      refreshRestVsCeiling: postgres['rest-16'].requestsPerSecond.median / Math.min(signatures.median, rotations.median),
      guardedVsUnguarded: guarded.requestsPerSecond.median / unguarded.requestsPerSecond.median,
      embeddedVsPostgres: embeddedResults['rest-16'].requestsPerSecond.median / postgres['rest-16'].requestsPerSecond.median,
      boundVsBearer: bound.requestsPerSecond.median / postgres['rest-16'].requestsPerSecond.median,
      graphqlVsRest: postgres['graphql-16'].requestsPerSecond.median / postgres['rest-16'].requestsPerSecond.median,
      restVsPeer16: postgres['rest-16'].requestsPerSecond.median / peer['peer-16'].requestsPerSecond.median,
      graphqlVsPeer16: postgres['graphql-16'].requestsPerSecond.median / peer['peer-16'].requestsPerSecond.median,
      restVsPeer64: postgres['rest-64'].requestsPerSecond.median / peer['peer-64'].requestsPerSecond.median,
      graphqlVsPeer64: postgres['graphql-64'].requestsPerSecond.median / peer['peer-64'].requestsPerSecond.median,
      growthP50: grown[String(GROWTH[1])].p50Ms.median / grown[String(GROWTH[0])].p50Ms.median,
      activityGrowthRefreshP50:
        activityGrown[String(ACTIVITY_GROWTH[1])].refresh.p50Ms.median / activityGrown[String(ACTIVITY_GROWTH[0])].refresh.p50Ms.median,
      activityGrowthPageP50:
        activityGrown[String(ACTIVITY_GROWTH[1])].page.p50Ms.median / activityGrown[String(ACTIVITY_GROWTH[0])].page.p50Ms.median,
      serviceCpuVsPeer16: cpuRatio(postgres['rest-16'], peer['peer-16']),
      serviceCpuVsPeer64: cpuRatio(postgres['rest-64'], peer['peer-64']),
      graphqlServiceCpuVsPeer16: cpuRatio(postgres['graphql-16'], peer['peer-16']),
      postgresCpuMsPerRefresh: postgres['rest-16'].cpuMsPerRequest.postgres?.median ?? Number.NaN,
      restP99OverP50: postgres['rest-16'].p99OverP50.median,
      flatBytesPerSession: flat.bytesPerSessionRatio,
      flatSteadyBytesPerSession: flat.steadyBytesPerSessionRatio,
      flatRowsPerSession: flat.rowsPerSessionRatio,
    };
    results.ratios = ratios;
    const versions = await versionsInUse(database.url);
    results.versions = versions;
    results.machine = {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      node: process.version,
      date: new Date().toISOString(),
      quick,
    };
    // A quick run is a smoke check: it must not replace the committed figures of a full one.
    const output = quick ? join(root, '.build', 'bench-quick') : root;
    mkdirSync(join(output, 'bench'), { recursive: true });
    writeFileSync(join(output, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n');
    writeFileSync(
      join(output, 'BENCHMARKS.md'),
      report(
        postgres,
        peer,
        embeddedResults,
        grown,
        activityGrown,
        guarded,
        unguarded,
        logins,
        propagation,
        fan,
        ratios,
        signatures,
        rotations,
        versions,
        flat,
      ),
    );
    log(
      `Wrote ${join(output, 'BENCHMARKS.md')} and ${join(output, 'bench', 'results.json')} in ${((Date.now() - started) / 1000).toFixed(0)} s`,
    );
  } finally {
    await Promise.all([a.stop(), b.stop(), embedded.stop()]);
    await database.drop();
    rmSync(embeddedDir, { recursive: true, force: true });
  }
}

interface Versions {
  readonly postgres: string;
  readonly redis: string;
  readonly oidcProvider: string;
  readonly nestJwt: string;
  readonly pg: string;
  readonly nest: string;
}

async function versionsInUse(databaseUrl: string): Promise<Versions> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const { rows } = await client.query<{ version: string }>(`SELECT split_part(version(), ' on ', 1) AS version`);
  await client.end();
  const redis = new Redis(redisUrl, { lazyConnect: true });
  await redis.connect();
  const info = await redis.info('server');
  redis.disconnect();
  const packageVersion = (name: string) =>
    (JSON.parse(readFileSync(join(root, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  return {
    postgres: rows[0].version,
    redis: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    oidcProvider: packageVersion('oidc-provider'),
    nestJwt: packageVersion('@nestjs/jwt'),
    pg: packageVersion('pg'),
    nest: packageVersion('@nestjs/core'),
  };
}

/** The service's CPU per refresh ÷ the peer's, the same chains on each. */
function cpuRatio(service: Throughput, peer: Throughput): number {
  const ours = service.cpuMsPerRequest.server?.median;
  const theirs = peer.cpuMsPerRequest.server?.median;
  return ours === undefined || theirs === undefined ? Number.NaN : ours / theirs;
}

async function sequence<T>(count: number, work: () => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < count; i++) out.push(await work());
  return out;
}

const met = (ok: boolean) => (ok ? 'met' : '**not met**');
const fmt = (value: number, digits = 0) => value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
const spread = (r: Repeated, digits = 0) => `${fmt(r.median, digits)} (${fmt(r.min, digits)}–${fmt(r.max, digits)})`;

function report(
  postgres: Record<string, Throughput>,
  peer: Record<string, Throughput>,
  embedded: Record<string, Throughput>,
  grown: Awaited<ReturnType<typeof growth>>,
  activityGrown: Awaited<ReturnType<typeof activityGrowth>>,
  guarded: Throughput,
  unguarded: Throughput,
  logins: Throughput,
  propagation: Awaited<ReturnType<typeof revocationPropagation>>,
  fan: Awaited<ReturnType<typeof fanOut>>,
  ratios: Record<string, number>,
  signatures: Repeated,
  rotations: Repeated,
  versions: Versions,
  flat: Awaited<ReturnType<typeof flatStorage>>,
): string {
  const machine = results.machine as { cpus: number; cpu: string | undefined; memoryGiB: number; node: string; date: string };
  const row = (label: string, t: Throughput) =>
    `| ${label} | ${spread(t.requestsPerSecond)} | ${spread(t.p50Ms, 2)} | ${spread(t.p99Ms, 2)} | ${t.errors} |`;
  const cpuMs = (r: Repeated | undefined, otherwise = '—') => (r ? spread(r, 2) : otherwise);
  const refreshRow = (label: string, t: Throughput, postgresOtherwise?: string) =>
    `| ${label} | ${spread(t.requestsPerSecond)} | ${spread(t.p50Ms, 2)} | ${spread(t.p99Ms, 2)} | ${cpuMs(t.cpuMsPerRequest.server)} | ${cpuMs(t.cpuMsPerRequest.postgres, postgresOtherwise)} | ${cpuMs(t.cpuMsPerRequest.loadGenerator)} | ${t.errors} |`;
  const peerRow = (label: string, t: Throughput) =>
    `| ${label} | ${spread(t.requestsPerSecond)} | ${spread(t.p50Ms, 2)} | ${spread(t.p99Ms, 2)} | ${cpuMs(t.cpuMsPerRequest.server)} | ${cpuMs(t.cpuMsPerRequest.loadGenerator)} | ${t.errors} |`;
  const times = (value: number) => (Number.isNaN(value) ? '—' : `${fmt(value, 2)}×`);
  const [flatFirst, flatMiddle, flatLast] = flat.readings;
  const storageRow = (r: StorageReading) => {
    const per = perSession(r);
    const tokens = r.refreshTokens;
    return `| ${fmt(r.refreshes)} | ${fmt(r.activeSessions)} | ${fmt(per.bytes)} | ${fmt(per.rows, 2)} | ${fmt(r.sessions.bytes)} / ${fmt(r.sessions.rows)} | ${tokens ? `${fmt(tokens.bytes)} / ${fmt(tokens.rows)}` : '—'} | ${fmt(r.activity.bytes)} / ${fmt(r.activity.rows)} (${r.activity.partitions} partitions) | ${fmt(r.outbox.bytes)} / ${fmt(r.outbox.rows)} |`;
  };
  return `# Benchmarks

Measured by \`npm run bench${quick ? ' -- --quick' : ''}\` on ${machine.date.slice(0, 10)}: ${machine.cpus} cores (${machine.cpu ?? 'unknown CPU'}), ${machine.memoryGiB} GiB, Node ${machine.node}; ${versions.postgres} on this machine with durable commits (\`fsync\` and \`synchronous_commit\` on); Redis ${versions.redis}; peer: oidc-provider ${versions.oidcProvider}; the service on @nestjs/jwt ${versions.nestJwt}, pg ${versions.pg}, NestJS ${versions.nest}.
${RUNS} run(s) of ${DURATION_MS / 1000} s per scenario, each scenario after ${WARMUP_MS / 1000} s of the same load, not measured (the JIT, connection pools, caches, PostgreSQL's plans); figures are medians with the range of the runs in brackets. The load generator runs on the same two cores as the service, so absolute figures are modest and drift between machines: compare the **ratios**, taken in one run. Raw numbers: \`bench/results.json\`.

**CPU ms/refresh**: the CPU time (user + system, all threads, from \`/proc/<pid>/stat\`) a process spent in the measured windows, divided by the refreshes completed in them. *service*: the service's process (or the peer's); *PostgreSQL*: the postmaster, the backends connected to the bench's database and the server's background processes (checkpointer, background writer, walwriter), not the backends of other databases on the server; *load generator*: this bench process (\`process.cpuUsage()\`), which shares the cores. Per refresh rather than a percentage, since throughput differs between scenarios and the cores are shared: it is what a refresh costs, whoever is busy at the same time.

## Ceilings (same run)

| ceiling | per second |
|---|---|
| RS256 signatures, @nestjs/jwt's \`JwtService\` with a \`KeyObject\`, one core | ${spread(signatures)} |
| Refresh rotation with raw \`pg\` (the service's read and conditional write), 16 clients | ${spread(rotations)} |

## Refresh throughput and latency (chains: each client refreshes with the token it last got)

| scenario | requests/s | p50 ms | p99 ms | service CPU ms/refresh | PostgreSQL CPU ms/refresh | load generator CPU ms/refresh | errors |
|---|---|---|---|---|---|---|---|
${Object.entries(postgres)
  .map(([key, t]) => refreshRow(`PostgreSQL, ${key.replace('-', ', ')} chains`, t))
  .join('\n')}
${Object.entries(embedded)
  .map(([key, t]) => refreshRow(`embedded PGlite, ${key.replace('-', ', ')} chains`, t, 'in the service'))
  .join('\n')}

## The peer: panva's oidc-provider (OpenID Certified), refresh-token grant

Same chains, same load generator, same machine. The peer is configured as close to Tessera as it
goes (\`bench/peer.ts\`): RS256 JWT access tokens (RFC 9068), refresh tokens rotated on every
use, a public client, 15-minute access and 7-day refresh tokens, and its **in-memory adapter**:
it writes nothing to disk, where every Tessera refresh is a durable PostgreSQL commit and an
activity-log entry.

| scenario | requests/s | p50 ms | p99 ms | peer CPU ms/refresh | load generator CPU ms/refresh | errors |
|---|---|---|---|---|---|---|
${Object.entries(peer)
  .map(([key, t]) => peerRow(`oidc-provider, ${key.replace('peer-', '')} chains`, t))
  .join('\n')}

The rotation ceiling alone (the service's two statements of a rotation with raw \`pg\`: no HTTP, no
JSON, no signature) is ${fmt((rotations.median / peer['peer-16'].requestsPerSecond.median) * 100)} % of the peer's 16-chain throughput on this machine, which
writes nothing: the ratio to the peer is bounded by that figure, whatever the service does above
the database, and the rest of the gap is the service's own work (see "Where a refresh's CPU goes").

| ratio (same run) | 16 chains | 64 chains |
|---|---|---|
| Tessera REST / peer | ${fmt(ratios.restVsPeer16 * 100)} % | ${fmt(ratios.restVsPeer64 * 100)} % |
| Tessera GraphQL / peer | ${fmt(ratios.graphqlVsPeer16 * 100)} % | ${fmt(ratios.graphqlVsPeer64 * 100)} % |
| Tessera REST service CPU per refresh / peer's | ${times(ratios.serviceCpuVsPeer16)} | ${times(ratios.serviceCpuVsPeer64)} |

## Flat storage: table sizes per active session

${fmt(FLAT_SESSIONS)} sessions on a database of their own, refreshed through REST (one chain per session): read after one
refresh each, then after ${fmt(FLAT_REFRESHES / 2)} and after ${fmt(FLAT_REFRESHES)} in all. Session state is \`sessions\` + \`refresh_tokens\` ("—": the table
does not exist); the activity log (all its partitions) and the outbox get rows per change and are bounded by retention,
not by the number of sessions. Bytes are \`pg_total_relation_size\` (heap, indexes, TOAST), rows \`count(*)\`; autovacuum
is ${flatLast.autovacuum} on this server${flatLast.autovacuum === 'off' ? `, so in its place the scenario runs VACUUM on the session-state tables after the first reading's refreshes and every ${fmt(VACUUM_EVERY)} refreshes after them (without it every refresh leaves a dead row version behind, and the bytes grow until a VACUUM)` : ''}.

| refreshes in all | active sessions | session state bytes/session | session state rows/session | sessions bytes / rows | refresh_tokens bytes / rows | activity log bytes / rows | outbox bytes / rows |
|---|---|---|---|---|---|---|---|
${storageRow(flatFirst)}
${storageRow(flatMiddle)}
${storageRow(flatLast)}

## Growth: refresh with many sessions in the database

Other users' sessions (ten per user, one device per user, one refresh token per session, all
active) seeded by SQL, not through the API; the 16 chains' own sessions are among them. REST, 16 chains.

| sessions in the database | seeded in | requests/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|---|
${Object.values(grown)
  .map(
    (g) =>
      `| ${fmt(g.sessions)} | ${fmt(g.seedSeconds, 1)} s | ${spread(g.requestsPerSecond)} | ${spread(g.p50Ms, 2)} | ${spread(g.p99Ms, 2)} | ${g.errors} |`,
  )
  .join('\n')}

## Growth: the activity log

The activity log gets a row per refresh. Entries of ${fmt(10_000)} other users seeded by SQL into a
month of day partitions (as the service creates them), plus ${fmt(CHAIN_HISTORY)} entries of each
chain's own user; REST refresh with 16 chains, and a page of the log (\`sessionActivity(first: 20)\`)
with 16 connections.

${activityGrowthTable(activityGrown)}
${included('ACTIVITY-GROWTH-LARGE.md')}
## Guarded query

\`me { id }\` passes the guard (bearer token, signature, or the verified-token cache for a token
seen before, and the session check from the session-state cache) and one Nest resolver; the
unguarded \`__typename\` is answered by graphql-js alone, without any resolver. The gap is the
guard plus Nest's resolver pipeline (guards, interceptors, pipes, parameter decorators).

| scenario (50 connections) | requests/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|
${row('`me` with an access token (signature + session check)', guarded)}
${row('`__typename` without a token', unguarded)}

## Login

\`POST /api/auth/login\` by ${LOGIN_CLIENTS} clients, each its own user signing in again and again from its
own device (recognised after the first time; past the session limit, the least recently used
session ends). Each login is an argon2id check, one transaction that records its activity and
outbox rows, and one RS256 signature.

| scenario | requests/s | p50 ms | p99 ms | errors |
|---|---|---|---|---|
${row(`login, ${LOGIN_CLIENTS} clients`, logins)}

## Revocation propagation (two instances, PostgreSQL + Redis, ${propagation.revocations} revocations)

| from \`revokeSession\` answered on B to … | p50 ms | p99 ms |
|---|---|---|
| the event on a subscriber of A | ${fmt(propagation.event.p50, 2)} | ${fmt(propagation.event.p99, 2)} |
| the first refusal of the token by A | ${fmt(propagation.refusal.p50, 2)} | ${fmt(propagation.refusal.p99, 2)} |

A negative figure means the event reached A's subscriber before B's answer reached the client that
asked for the revocation: the end is announced on the bus before the request that ended it answers.

## Fan-out (${fan.subscribers} graphql-ws subscribers of one user, ${fan.rounds} rounds)

| from \`revokeAllSessions(exceptCurrent)\` sent to the last subscriber's event (each round starts once the subscribers have had every earlier event) | p50 ms | p99 ms |
|---|---|---|
| two sessions ended per round | ${fmt(fan.toLastSubscriber.p50, 1)} | ${fmt(fan.toLastSubscriber.p99, 1)} |

Heap per idle subscription (the service's used heap before and after opening them, each read right after a full garbage collection through the V8 inspector): ${fmt(fan.heapPerSubscriptionBytes / 1024, 1)} KiB.

## Targets

| target | figure | |
|---|---|---|
| refresh through REST ≥ 1.0× the peer's refresh grant (16 chains) | ${fmt(ratios.restVsPeer16, 2)}× | ${met(ratios.restVsPeer16 >= 1)} |
| refresh through GraphQL ≥ 0.8× the peer (16 chains) | ${fmt(ratios.graphqlVsPeer16, 2)}× | ${met(ratios.graphqlVsPeer16 >= 0.8)} |
| service CPU per refresh ≤ 1.0× the peer's process (both sign one RS256 token per refresh; REST, 16 chains) | ${times(ratios.serviceCpuVsPeer16)} (64 chains ${times(ratios.serviceCpuVsPeer64)}; GraphQL 16 chains ${times(ratios.graphqlServiceCpuVsPeer16)}) | ${met(ratios.serviceCpuVsPeer16 <= 1)} |
| PostgreSQL CPU per refresh ≤ 0.5 ms (REST, 16 chains) | ${Number.isNaN(ratios.postgresCpuMsPerRefresh) ? '— (server not on this machine)' : `${fmt(ratios.postgresCpuMsPerRefresh, 2)} ms`} | ${met(ratios.postgresCpuMsPerRefresh <= 0.5)} |
| REST refresh p99 ≤ 2× its p50 (16 chains) | ${times(ratios.restP99OverP50)} | ${met(ratios.restP99OverP50 <= 2)} |
| flat storage: session state per active session after ${fmt(FLAT_REFRESHES)} refreshes ÷ after ${fmt(FLAT_SESSIONS)}, rows ≤ 1.0×, bytes ≤ 1.25× (pages are allocated whole) | rows ${times(ratios.flatRowsPerSession)}, bytes ${times(ratios.flatBytesPerSession)} | ${met(ratios.flatRowsPerSession <= 1 && ratios.flatBytesPerSession <= 1.25)}${quick ? ' (quick run: fewer refreshes)' : ''} |
| flat storage, no growth with refreshes: bytes per active session after ${fmt(FLAT_REFRESHES)} refreshes ÷ after ${fmt(FLAT_REFRESHES / 2)}, ≤ 1.05× | ${times(ratios.flatSteadyBytesPerSession)} | ${met(ratios.flatSteadyBytesPerSession <= 1.05)}${quick ? ' (quick run: fewer refreshes)' : ''} |
| load generator CPU per refresh (REST, 16 chains; it shares the cores with the service and PostgreSQL) | ${fmt(postgres['rest-16'].cpuMsPerRequest.loadGenerator.median, 2)} ms | (reported) |
| refresh ≥ 50 % of min(signature, rotation ceiling) | REST 16 chains: ${fmt(ratios.refreshRestVsCeiling * 100, 1)} % | ${met(ratios.refreshRestVsCeiling >= 0.5)} |
| guarded \`me\` ≥ 85 % of the unguarded query | ${fmt(ratios.guardedVsUnguarded * 100, 1)} % | ${met(ratios.guardedVsUnguarded >= 0.85)} |
| revocation visible on the other instance, p99 < 100 ms | event ${fmt(propagation.event.p99, 1)} ms, refusal ${fmt(propagation.refusal.p99, 1)} ms | ${met(propagation.event.p99 < 100 && propagation.refusal.p99 < 100)} |
| fan-out to ${fan.subscribers} subscribers, p99 < 250 ms; idle subscription < 50 KB of heap | ${fmt(fan.toLastSubscriber.p99, 1)} ms; ${fmt(fan.heapPerSubscriptionBytes / 1024, 1)} KiB | ${met(fan.toLastSubscriber.p99 < 250 && fan.heapPerSubscriptionBytes < 50 * 1024)}${fan.subscribers < 1000 ? ' (quick run: fewer subscribers)' : ''} |
| ${fmt(ACTIVITY_GROWTH[1])} activity entries: refresh and page p50 ≤ 1.2× the ${fmt(ACTIVITY_GROWTH[0])}-entry figures | refresh ${fmt(ratios.activityGrowthRefreshP50, 2)}×, page ${fmt(ratios.activityGrowthPageP50, 2)}× | ${met(ratios.activityGrowthRefreshP50 <= 1.2 && ratios.activityGrowthPageP50 <= 1.2)}${quick ? ' (quick run: fewer entries)' : ''} |
| ${fmt(GROWTH[1])} sessions: refresh p50 ≤ 1.2× the ${fmt(GROWTH[0])}-session figure | ${fmt(ratios.growthP50, 2)}× | ${met(ratios.growthP50 <= 1.2)}${quick ? ' (quick run: fewer sessions)' : ''} |
| embedded refresh throughput, as a ratio to PostgreSQL | ${fmt(ratios.embeddedVsPostgres * 100)} % | (reported) |
| device-bound (DPoP) refresh throughput, as a ratio to the bearer refresh (REST, 16 chains; the load generator signs a P-256 proof per refresh) | ${fmt(ratios.boundVsBearer * 100)} % | (reported) |
| GraphQL refresh as a ratio to REST | ${fmt(ratios.graphqlVsRest * 100)} % | (reported) |
${included('PROFILE.md')}${included('HISTORY.md')}`;
}

function activityGrowthTable(grown: Awaited<ReturnType<typeof activityGrowth>>): string {
  return `| activity entries | seeded in | refresh requests/s | refresh p50 ms | page requests/s | page p50 ms | errors |
|---|---|---|---|---|---|---|
${Object.values(grown)
  .map(
    (g) =>
      `| ${fmt(g.entries)} | ${fmt(g.seedSeconds, 1)} s | ${spread(g.refresh.requestsPerSecond)} | ${spread(g.refresh.p50Ms, 2)} | ${spread(g.page.requestsPerSecond)} | ${spread(g.page.p50Ms, 2)} | ${g.refresh.errors + g.page.errors} |`,
  )
  .join('\n')}`;
}

/**
 * A file of bench/ included as it is: the large activity-growth run's report, and the
 * before-and-after records of changes that moved these figures (HISTORY.md, kept by hand).
 */
function included(file: string): string {
  const path = join(root, 'bench', file);
  return existsSync(path) ? `\n${readFileSync(path, 'utf8')}` : '';
}

main().catch((error: unknown) => {
  process.stderr.write(`Bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
