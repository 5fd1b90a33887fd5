/**
 * CPU time of processes, read from /proc, for the bench's "CPU ms per refresh": a snapshot of
 * utime + stime (all threads of each process, in clock ticks) at the start and at the end of a
 * measured window, the difference divided by the requests completed in it.
 *
 * What is counted for PostgreSQL (`postgresServerPids`): the postmaster, every backend connected
 * to the bench's database (the service's pool, autovacuum workers on it) and the server's own
 * background processes (checkpointer, background writer, walwriter, launchers: the rows of
 * `pg_stat_activity` without a database). Backends of other databases on the same server (other
 * people's tests on a shared machine) are left out; the background processes are shared with them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcStat {
  readonly pid: number;
  /** The executable's name as the kernel keeps it (at most 15 bytes; may hold spaces and parentheses). */
  readonly comm: string;
  readonly state: string;
  readonly ppid: number;
  /** Time in user mode, clock ticks, all threads. */
  readonly utimeTicks: number;
  /** Time in kernel mode, clock ticks, all threads. */
  readonly stimeTicks: number;
}

/**
 * Parses /proc/<pid>/stat. The second field, comm, is in parentheses and may itself contain
 * spaces and parentheses, so it runs from the first '(' to the *last* ')'; the fields after it
 * are separated by single spaces (proc(5): state is field 3, ppid 4, utime 14, stime 15).
 */
export function parseProcStat(text: string): ProcStat {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc/<pid>/stat line: ${JSON.stringify(text.slice(0, 80))}`);
  const pid = Number(text.slice(0, open).trim());
  const rest = text
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  // rest[0] is field 3 (state), so field n is rest[n - 3].
  const field = (n: number) => {
    const value = Number(rest[n - 3]);
    if (!Number.isInteger(value)) throw new Error(`field ${n} of /proc/${pid}/stat is not a number: ${rest[n - 3]}`);
    return value;
  };
  if (!Number.isInteger(pid)) throw new Error(`no pid in /proc/<pid>/stat: ${JSON.stringify(text.slice(0, 80))}`);
  return { pid, comm: text.slice(open + 1, close), state: rest[0], ppid: field(4), utimeTicks: field(14), stimeTicks: field(15) };
}

let ticksPerSecond: number | undefined;

/** USER_HZ, the unit of utime and stime: `getconf CLK_TCK`, asked once (100 on Linux almost everywhere). */
export function clockTicksPerSecond(): number {
  if (ticksPerSecond === undefined) {
    try {
      const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
      ticksPerSecond = Number.isInteger(value) && value > 0 ? value : 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** The process's stat, or undefined once it has gone (or where there is no /proc). */
export function readProcStat(pid: number, procRoot = '/proc'): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(join(procRoot, String(pid), 'stat'), 'utf8'));
  } catch (error) {
    if (isGone(error)) return undefined;
    throw error;
  }
}

/** Every process visible in /proc (those that end while it is read are skipped). */
export function listProcesses(procRoot = '/proc'): ProcStat[] {
  const out: ProcStat[] = [];
  for (const name of readdirSync(procRoot)) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readProcStat(Number(name), procRoot);
    if (stat) out.push(stat);
  }
  return out;
}

function isGone(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ESRCH' || code === 'ENOTDIR';
}

/** CPU ticks (utime + stime) of each pid that still exists. */
export type CpuSnapshot = ReadonlyMap<number, number>;

export function snapshot(pids: Iterable<number>, procRoot = '/proc'): CpuSnapshot {
  const out = new Map<number, number>();
  for (const pid of pids) {
    const stat = readProcStat(pid, procRoot);
    if (stat) out.set(pid, stat.utimeTicks + stat.stimeTicks);
  }
  return out;
}

/**
 * CPU milliseconds spent between two snapshots by the processes of `after`. A pid that is in
 * `after` only started within the window and counts from zero; one in `before` only ended within
 * it, and what it spent since `before` cannot be read any more, so it adds nothing (the figure is
 * then a little low: the bench's processes and the service's connections outlive a window).
 */
export function cpuMsBetween(before: CpuSnapshot, after: CpuSnapshot, ticks = clockTicksPerSecond()): number {
  let spent = 0;
  for (const [pid, now] of after) spent += now - (before.get(pid) ?? 0);
  return (spent * 1000) / ticks;
}

/** CPU ms per completed request; NaN when none completed (no figure rather than a wrong one). */
export function perRequest(cpuMs: number, requests: number): number {
  return requests > 0 ? cpuMs / requests : Number.NaN;
}

/** What `postgresServerPids` needs of a pg client. */
export interface Queryable {
  query(text: string): Promise<{ rows: { pid: number; own: boolean }[] }>;
}

/**
 * The PostgreSQL processes that work for the database `client` is connected to, as listed above,
 * without the client's own backend; undefined when the server is not a process on this machine
 * (another host, or a container with its own pid namespace), since then /proc cannot see it.
 */
export async function postgresServerPids(client: Queryable, procRoot = '/proc'): Promise<number[] | undefined> {
  const { rows } = await client.query(
    `SELECT pid, pid = pg_backend_pid() AS own FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`,
  );
  const own = rows.find((row) => row.own);
  const ownStat = own ? readProcStat(own.pid, procRoot) : undefined;
  const postmaster = ownStat ? readProcStat(ownStat.ppid, procRoot) : undefined;
  if (!ownStat || !postmaster || !ownStat.comm.startsWith('postgres') || !postmaster.comm.startsWith('postgres')) return undefined;
  return [postmaster.pid, ...rows.filter((row) => !row.own).map((row) => row.pid)];
}

/** The bench's groups of processes, each a way to list its pids now (undefined: not measurable here). */
export type ProcessGroups<K extends string> = Record<K, () => Promise<readonly number[] | undefined> | readonly number[] | undefined>;

export type CpuWindow<K extends string> = Record<K, number | undefined> & {
  /** The load generator: this process (process.cpuUsage(), all its threads). */
  readonly loadGenerator: number;
};

/**
 * Snapshots the groups' CPU (and this process's) at the start of a window; the function it returns
 * snapshots them again and answers the CPU ms each spent in between. Pids are listed again at the
 * end, so that processes that started within the window count too.
 */
export async function startCpuWindow<K extends string>(groups: ProcessGroups<K>): Promise<() => Promise<CpuWindow<K>>> {
  const names = Object.keys(groups) as K[];
  const before = new Map<K, CpuSnapshot | undefined>();
  for (const name of names) {
    const pids = await groups[name]();
    before.set(name, pids ? snapshot(pids) : undefined);
  }
  const ownBefore = process.cpuUsage();
  return async () => {
    const own = process.cpuUsage(ownBefore);
    const out: Record<string, number | undefined> = { loadGenerator: (own.user + own.system) / 1000 };
    for (const name of names) {
      const start = before.get(name);
      const pids = start ? await groups[name]() : undefined;
      out[name] = start && pids ? cpuMsBetween(start, snapshot(pids)) : undefined;
    }
    return out as CpuWindow<K>;
  };
}
