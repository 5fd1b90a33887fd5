/**
 * `npm run bench:ab -- <variant> <variant> … [--rounds N] [--window MS] [--warmup MS] [--sql 'STATEMENT']`:
 * an interleaved A/B of the REST refresh, for weighing a lever before keeping it.
 *
 * A variant is `label` or `label:KEY=VALUE,KEY=VALUE`: the service's environment on top of the
 * bench's own. `{database}` in a value stands for the variant's database (a DATABASE_URL of
 * another form), and the key MAIN_JS runs another build (a checkout of an earlier commit). Each
 * variant gets its own database and process; after a warm-up of each, the variants take turns,
 * one window each per round, so that the machine's noise falls on all of them alike.
 * `--sql` runs statements in each variant's database after its migrations, before the load
 * (a variant of the schema: `--sql` applies to every variant whose label ends in `+sql`).
 *
 * Prints, per window and as medians: refreshes per second, the service's and PostgreSQL's CPU per
 * refresh, p50 and p99; and each variant's medians as ratios of the first's.
 */
import 'reflect-metadata';
import { join } from 'node:path';
import pg from 'pg';
import { BenchClient } from './client.js';
import { runChains, type ChainRun } from './chains.js';
import { benchServiceEnvironment, createDatabase, openSessions } from './harness.js';
import { perRequest, postgresServerPids, startCpuWindow } from './process-cpu.js';
import { percentile } from './stats.js';
import { freePort, ServiceProcess } from '../test/helpers/service-process.js';

const CHAINS = 16;
const root = join(import.meta.dirname, '..');
const log = (line: string) => process.stdout.write(`${line}\n`);

interface Options {
  readonly variants: readonly { label: string; env: Record<string, string> }[];
  readonly rounds: number;
  readonly windowMs: number;
  readonly warmupMs: number;
  readonly sql: readonly string[];
}

export function parseArguments(args: readonly string[]): Options {
  const variants: { label: string; env: Record<string, string> }[] = [];
  const sql: string[] = [];
  let rounds = 3;
  let windowMs = 5_000;
  let warmupMs = 8_000;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const value = () => {
      const next = args[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--rounds') rounds = Number(value());
    else if (arg === '--window') windowMs = Number(value());
    else if (arg === '--warmup') warmupMs = Number(value());
    else if (arg === '--sql') sql.push(value());
    else if (arg.startsWith('--')) throw new Error(`unknown option ${arg}`);
    else {
      const [label, settings = ''] = arg.split(/:(.*)/s, 2);
      const env: Record<string, string> = {};
      for (const pair of settings.split(',').filter(Boolean)) {
        const at = pair.indexOf('=');
        if (at < 1) throw new Error(`${pair}: a setting is KEY=VALUE`);
        env[pair.slice(0, at)] = pair.slice(at + 1);
      }
      variants.push({ label, env });
    }
  }
  if (variants.length < 2) throw new Error('name two variants or more, the first being the one the others are compared with');
  if (![rounds, windowMs, warmupMs].every((n) => Number.isInteger(n) && n > 0))
    throw new Error('--rounds, --window, --warmup: positive whole numbers');
  return { variants, rounds, windowMs, warmupMs, sql };
}

interface Window {
  readonly perSecond: number;
  readonly serviceMs: number;
  readonly postgresMs: number;
  readonly p50: number;
  readonly p99: number;
}

const median = (values: readonly number[]) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );

async function main() {
  const options = parseArguments(process.argv.slice(2));
  const started: { label: string; service: ServiceProcess; monitor: pg.Client; tokens: string[]; drop: () => Promise<void> }[] = [];
  try {
    for (const variant of options.variants) {
      const database = await createDatabase();
      const name = new URL(database.url).pathname.slice(1);
      const { MAIN_JS: mainJs, ...env } = Object.fromEntries(
        Object.entries(variant.env).map(([k, v]) => [k, v.replaceAll('{database}', name)]),
      );
      const service = new ServiceProcess(
        mainJs ?? join(root, 'dist', 'src', 'main.js'),
        {
          ...benchServiceEnvironment(),
          DATABASE_URL: database.url,
          ...env,
        },
        await freePort(),
      );
      const monitor = new pg.Client({ connectionString: database.url });
      started.push({ label: variant.label, service, monitor, tokens: [], drop: database.drop });
      await service.start();
      await monitor.connect();
      if (variant.label.endsWith('+sql')) for (const statement of options.sql) await monitor.query(statement);
      const client = new BenchClient(service.baseUrl);
      started.at(-1)!.tokens.push(...(await openSessions(client, CHAINS)).map((grant) => grant.tokens.refreshToken));
      log(`${variant.label}: started (${JSON.stringify(variant.env)})`);
    }
    const refreshFor = (v: (typeof started)[number]) => {
      const client = new BenchClient(v.service.baseUrl);
      return (durationMs: number) => runChains(v.tokens, (token) => client.refreshRest(token), durationMs);
    };
    for (const v of started) await refreshFor(v)(options.warmupMs);

    const windows = new Map(started.map((v) => [v.label, [] as Window[]]));
    for (let round = 0; round < options.rounds; round++) {
      // Alternate the order too, so that no variant always follows the same one.
      const order = round % 2 === 0 ? started : [...started].reverse();
      for (const v of order) {
        const stop = await startCpuWindow({
          service: () => (v.service.pid ? [v.service.pid] : undefined),
          postgres: () => postgresServerPids(v.monitor),
        });
        const run: ChainRun = await refreshFor(v)(options.windowMs);
        const spent = await stop();
        if (run.errors > 0) throw new Error(`${v.label}: ${run.errors} refreshes failed`);
        const sorted = [...run.latenciesMs].sort((a, b) => a - b);
        const window: Window = {
          perSecond: run.requestsPerSecond,
          serviceMs: perRequest(spent.service ?? Number.NaN, run.requests),
          postgresMs: perRequest(spent.postgres ?? Number.NaN, run.requests),
          p50: percentile(sorted, 50),
          p99: percentile(sorted, 99),
        };
        windows.get(v.label)!.push(window);
        log(
          `round ${round + 1} ${v.label}: ${window.perSecond.toFixed(0)}/s, service ${window.serviceMs.toFixed(3)} ms, postgres ${window.postgresMs.toFixed(3)} ms, p50 ${window.p50.toFixed(2)} ms, p99 ${window.p99.toFixed(2)} ms`,
        );
      }
    }

    const medians = [...windows].map(([label, list]) => ({
      label,
      perSecond: median(list.map((w) => w.perSecond)),
      serviceMs: median(list.map((w) => w.serviceMs)),
      postgresMs: median(list.map((w) => w.postgresMs)),
      p50: median(list.map((w) => w.p50)),
      p99: median(list.map((w) => w.p99)),
    }));
    const base = medians[0];
    log('\n| variant | refreshes/s | service CPU ms/refresh | PostgreSQL CPU ms/refresh | p50 ms | p99 ms | throughput vs first |');
    log('|---|---|---|---|---|---|---|');
    for (const m of medians) {
      log(
        `| ${m.label} | ${m.perSecond.toFixed(0)} | ${m.serviceMs.toFixed(3)} | ${m.postgresMs.toFixed(3)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${(m.perSecond / base.perSecond).toFixed(2)}× |`,
      );
    }
  } finally {
    for (const v of started) {
      await v.monitor.end().catch(() => {});
      await v.service.stop();
      await v.drop();
    }
  }
}

if (process.argv[1] === import.meta.filename) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
