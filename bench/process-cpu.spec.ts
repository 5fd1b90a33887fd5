import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import {
  clockTicksPerSecond,
  cpuMsBetween,
  listProcesses,
  parseProcStat,
  perRequest,
  postgresServerPids,
  readProcStat,
  snapshot,
  startCpuWindow,
} from './process-cpu.js';

/** A /proc/<pid>/stat line as the kernel writes it (52 fields), with the given comm, ppid, utime and stime. */
const statLine = (pid: number, comm: string, ppid: number, utime: number, stime: number) =>
  `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1 4194560 1234 0 5 0 ${utime} ${stime} 0 0 20 0 11 0 1733 1234567890 12345 ` +
  '18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n';

describe('parseProcStat', () => {
  it('reads state, ppid, utime and stime', () => {
    expect(parseProcStat(statLine(4242, 'node', 1, 1500, 230))).toEqual({
      pid: 4242,
      comm: 'node',
      state: 'S',
      ppid: 1,
      utimeTicks: 1500,
      stimeTicks: 230,
    });
  });

  it('takes comm up to the last parenthesis, whatever it holds', () => {
    const stat = parseProcStat(statLine(7, 'we ird) 1 2 (x', 3, 40, 2));
    expect(stat.comm).toBe('we ird) 1 2 (x');
    expect([stat.ppid, stat.utimeTicks, stat.stimeTicks]).toEqual([3, 40, 2]);
    expect(parseProcStat(statLine(8, '', 3, 1, 1)).comm).toBe('');
    expect(parseProcStat(statLine(9, ') ) )', 4, 5, 6)).utimeTicks).toBe(5);
  });

  it('refuses what is not a stat line', () => {
    expect(() => parseProcStat('')).toThrow();
    expect(() => parseProcStat('12 node S 1')).toThrow();
    expect(() => parseProcStat('12 (node) S 1 2')).toThrow();
  });

  it('reads this very process from /proc', () => {
    const own = readProcStat(process.pid);
    expect(own?.pid).toBe(process.pid);
    expect(own?.ppid).toBe(process.ppid);
    expect(listProcesses().some((stat) => stat.pid === process.pid)).toBe(true);
    expect(readProcStat(2 ** 30)).toBeUndefined();
    expect(clockTicksPerSecond()).toBeGreaterThan(0);
  });
});

describe('CPU per request', () => {
  it('is the ticks spent between two snapshots, in ms, over the requests completed', () => {
    const before = new Map([
      [1, 1_000],
      [2, 50],
    ]);
    const after = new Map([
      [1, 1_250],
      [2, 60],
    ]);
    // 260 ticks at 100 per second: 2,600 ms; over 1,300 requests, 2 ms each.
    expect(cpuMsBetween(before, after, 100)).toBe(2_600);
    expect(perRequest(cpuMsBetween(before, after, 100), 1_300)).toBe(2);
    expect(cpuMsBetween(before, after, 1_000)).toBe(260);
  });

  it('counts a process that started in the window from zero, and one that ended as nothing', () => {
    const before = new Map([
      [1, 100],
      [2, 500],
    ]);
    const after = new Map([
      [1, 110],
      [3, 7],
    ]);
    expect(cpuMsBetween(before, after, 100)).toBe(170);
  });

  it('has no figure without requests', () => {
    expect(perRequest(123, 0)).toBeNaN();
  });
});

describe('with a /proc of its own', () => {
  let proc: string;
  const write = (pid: number, comm: string, ppid: number, utime: number, stime: number) => {
    mkdirSync(join(proc, String(pid)), { recursive: true });
    writeFileSync(join(proc, String(pid), 'stat'), statLine(pid, comm, ppid, utime, stime));
  };
  beforeEach(() => {
    proc = mkdtempSync(join(tmpdir(), 'proc-'));
    mkdirSync(join(proc, 'self'));
    writeFileSync(join(proc, 'uptime'), '1.0 1.0\n');
  });
  afterEach(() => rmSync(proc, { recursive: true, force: true }));

  it('snapshots the pids that exist and lists only numbered entries', () => {
    write(10, 'postgres', 1, 5, 5);
    write(11, 'postgres', 10, 20, 1);
    expect(snapshot([10, 11, 12], proc)).toEqual(
      new Map([
        [10, 10],
        [11, 21],
      ]),
    );
    expect(
      listProcesses(proc)
        .map((stat) => stat.pid)
        .sort(),
    ).toEqual([10, 11]);
  });

  it("lists PostgreSQL's processes for the bench database: the postmaster, and the rest but the asking backend", async () => {
    write(100, 'postgres', 1, 0, 0);
    write(101, 'postgres', 100, 0, 0);
    const client = {
      query: async () => ({
        rows: [
          { pid: 101, own: true },
          { pid: 102, own: false },
          { pid: 103, own: false },
        ],
      }),
    };
    expect(await postgresServerPids(client, proc)).toEqual([100, 102, 103]);
    // Not a process here (another host, another pid namespace): no figure.
    write(101, 'node', 100, 0, 0);
    expect(await postgresServerPids(client, proc)).toBeUndefined();
  });
});

describe('startCpuWindow', () => {
  it('answers each group and the load generator, and nothing for a group that cannot be measured', async () => {
    const stop = await startCpuWindow({ self: () => [process.pid], elsewhere: () => undefined });
    // 50 ms of this process's own CPU, however long the machine makes that take.
    const from = process.cpuUsage();
    while (cpuMsSince(from) < 50);
    const window = await stop();
    expect(window.loadGenerator).toBeGreaterThan(20);
    expect(window.self).toBeGreaterThanOrEqual(0);
    expect(window.elsewhere).toBeUndefined();
  });
});

function cpuMsSince(from: NodeJS.CpuUsage): number {
  const spent = process.cpuUsage(from);
  return (spent.user + spent.system) / 1000;
}
