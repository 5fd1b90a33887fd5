/**
 * `npm run bench:profile [-- --quick]`: where a refresh's CPU goes, layer by layer, in the service
 * (REST and GraphQL, on PostgreSQL) and in the peer (oidc-provider's refresh grant), so that the
 * refresh's cost against the peer can be read as more than one number.
 *
 * For each, 16 chains refresh after a warm-up. In a first window, unprofiled, the CPU of the
 * process's main thread and of its other threads (libuv's pool, V8's garbage-collection helpers
 * and compiler) is read from /proc per refresh. In a second window the main thread is sampled
 * through the V8 inspector, and its busy time is split by layer (bench/cpu-layers.ts); the first
 * window's main-thread CPU per refresh is divided in those proportions, since sampling itself
 * costs CPU. Writes bench/PROFILE.md, which BENCHMARKS.md includes.
 */
import 'reflect-metadata';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BenchClient } from './client.js';
import { runChains } from './chains.js';
import { layerTimes, LAYERS, type CpuProfile, type Layer } from './cpu-layers.js';
import { benchServiceEnvironment, createDatabase, openSessions, startPeer } from './harness.js';
import { openInspector } from './inspector.js';
import { mintPeerRefreshTokens, refreshAtPeer } from './peer.js';
import { clockTicksPerSecond, readProcStat } from './process-cpu.js';
import { freePort, ServiceProcess } from '../test/helpers/service-process.js';

const quick = process.argv.includes('--quick');
const WARMUP_MS = quick ? 1_000 : 20_000;
const WINDOW_MS = quick ? 2_000 : 10_000;
const CHAINS = 16;
/** Microseconds between samples: fine enough for a refresh of about a millisecond, cheap enough not to swamp it. */
const SAMPLING_MICROS = 250;
const root = join(import.meta.dirname, '..');
const ownCode = new RegExp(`^${root.replaceAll('/', '\\/')}\\/dist\\/src\\/`);
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Profiled {
  readonly label: string;
  readonly refreshesPerSecond: number;
  /** CPU ms per refresh of the main thread and of every other thread, unprofiled. */
  readonly mainThreadMs: number;
  readonly otherThreadsMs: number;
  /** The main thread's ms per refresh, split by layer. */
  readonly byLayer: ReadonlyMap<Layer, number>;
}

/** CPU ticks of the process (all threads) and of its main thread (the thread whose id is the pid). */
function ticks(pid: number): { all: number; main: number } {
  const all = readProcStat(pid);
  const main = readProcStat(pid, `/proc/${pid}/task`);
  if (!all || !main) throw new Error(`process ${pid} has gone`);
  return { all: all.utimeTicks + all.stimeTicks, main: main.utimeTicks + main.stimeTicks };
}

async function profile(
  label: string,
  pid: number,
  inspectorPort: number,
  refresh: (durationMs: number) => Promise<{ requests: number; errors: number }>,
) {
  await refresh(WARMUP_MS);
  const msPerTick = 1000 / clockTicksPerSecond();
  const before = ticks(pid);
  const measured = await refresh(WINDOW_MS);
  const after = ticks(pid);
  if (measured.errors > 0) throw new Error(`${label}: ${measured.errors} refreshes failed`);
  const mainThreadMs = ((after.main - before.main) * msPerTick) / measured.requests;
  const otherThreadsMs = ((after.all - after.main - (before.all - before.main)) * msPerTick) / measured.requests;

  const inspector = await openInspector(inspectorPort);
  await inspector.call('Profiler.enable');
  await inspector.call('Profiler.setSamplingInterval', { interval: SAMPLING_MICROS });
  await inspector.call('Profiler.start');
  await refresh(WINDOW_MS);
  const { profile: sampled } = await inspector.call<{ profile: CpuProfile }>('Profiler.stop');
  inspector.close();
  const { busyMicros, byLayer } = layerTimes(sampled, ownCode);
  const result: Profiled = {
    label,
    refreshesPerSecond: measured.requests / (WINDOW_MS / 1000),
    mainThreadMs,
    otherThreadsMs,
    byLayer: new Map(LAYERS.map((layer) => [layer, ((byLayer.get(layer) ?? 0) / busyMicros) * mainThreadMs])),
  };
  log(
    `${label}: ${result.refreshesPerSecond.toFixed(0)} refreshes/s; CPU ms per refresh: main thread ${mainThreadMs.toFixed(3)}, other threads ${otherThreadsMs.toFixed(3)}`,
  );
  return result;
}

async function main() {
  const results: Profiled[] = [];
  const database = await createDatabase();
  const tesseraInspector = await freePort();
  const service = new ServiceProcess(
    join(root, 'dist', 'src', 'main.js'),
    {
      ...benchServiceEnvironment(),
      DATABASE_URL: database.url,
    },
    await freePort(),
    [`--inspect=127.0.0.1:${tesseraInspector}`],
  );
  try {
    await service.start();
    const client = new BenchClient(service.baseUrl);
    const tokens = (await openSessions(client, CHAINS)).map((grant) => grant.tokens.refreshToken);
    for (const [label, refresh] of [
      ['Tessera, REST', (token: string) => client.refreshRest(token)],
      ['Tessera, GraphQL', (token: string) => client.refreshGraphQL(token)],
    ] as const) {
      results.push(await profile(label, service.pid!, tesseraInspector, (durationMs) => runChains(tokens, refresh, durationMs)));
    }
  } finally {
    await service.stop();
    await database.drop();
  }

  const peerInspector = await freePort();
  const peer = await startPeer([`--inspect=127.0.0.1:${peerInspector}`]);
  try {
    const tokens = await mintPeerRefreshTokens(peer.baseUrl, CHAINS);
    results.push(
      await profile('peer (oidc-provider)', peer.pid()!, peerInspector, (durationMs) =>
        runChains(tokens, (token) => refreshAtPeer(peer.baseUrl, token), durationMs),
      ),
    );
  } finally {
    await peer.stop();
  }

  const output = quick ? join(root, '.build', 'bench-quick') : root;
  mkdirSync(join(output, 'bench'), { recursive: true });
  writeFileSync(join(output, 'bench', 'PROFILE.md'), report(results));
  log(`Wrote ${join(output, 'bench', 'PROFILE.md')}`);
}

function report(results: readonly Profiled[]): string {
  const ms = (value: number) => value.toFixed(3);
  const total = (r: Profiled) => r.mainThreadMs + r.otherThreadsMs;
  const row = (name: string, value: (r: Profiled) => number) => `| ${name} | ${results.map((r) => ms(value(r))).join(' | ')} |`;
  return `## Where a refresh's CPU goes

\`npm run bench:profile\` (${new Date().toISOString().slice(0, 10)}${quick ? ', quick' : ''}): ${CHAINS} chains, ${WARMUP_MS / 1000} s of warm-up, then a
${WINDOW_MS / 1000}-second window read from /proc (CPU of the main thread and of the other threads, per
refresh) and a ${WINDOW_MS / 1000}-second window sampled every ${SAMPLING_MICROS} µs through the V8 inspector, whose split
of the main thread's busy time by layer (self time: the function on top of the stack, by the file
it is in) divides the first window's main-thread figure. PostgreSQL's CPU is not in it (see the
refresh tables). The sampler sees where the thread is, not whether a core runs it: a native socket
write also holds the moments the kernel hands the core to the process the write woke (PostgreSQL,
on two cores), so the sockets row reads as what the round trips to the database cost the thread,
more than as system calls. CPU ms per refresh:

| layer | ${results.map((r) => r.label).join(' | ')} |
|---|${results.map(() => '---').join('|')}|
${LAYERS.map((layer) => row(layer, (r) => r.byLayer.get(layer) ?? 0)).join('\n')}
${row('**main thread**', (r) => r.mainThreadMs)}
${row('other threads (libuv pool, GC helpers, JIT compiler)', (r) => r.otherThreadsMs)}
${row('**the process**', total)}

Refreshes per second in the unprofiled window: ${results.map((r) => `${r.label} ${r.refreshesPerSecond.toFixed(0)}`).join(', ')}.
`;
}

main().catch((error: unknown) => {
  process.stderr.write(`Profile failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
