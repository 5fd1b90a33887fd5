import { performance } from 'node:perf_hooks';

export interface ChainRun {
  readonly requests: number;
  readonly errors: number;
  readonly latenciesMs: number[];
  readonly elapsedMs: number;
  readonly requestsPerSecond: number;
}

/**
 * Refresh chains, as apps make them: each virtual client refreshes with the token it last got,
 * one request at a time, until the time is up. `tokens[i]` is chain i's current token, before
 * and after, so that runs can follow one another. A failed refresh ends its chain: its token may
 * have been spent, and going on would only measure errors.
 */
export async function runChains(
  tokens: string[],
  refresh: (token: string, chain: number) => Promise<string>,
  durationMs: number,
): Promise<ChainRun> {
  const latenciesMs: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    tokens.map(async (_, chain) => {
      while (performance.now() < deadline) {
        const sent = performance.now();
        try {
          tokens[chain] = await refresh(tokens[chain], chain);
          latenciesMs.push(performance.now() - sent);
        } catch {
          errors += 1;
          return;
        }
      }
    }),
  );
  const elapsedMs = performance.now() - started;
  return { requests: latenciesMs.length, errors, latenciesMs, elapsedMs, requestsPerSecond: (latenciesMs.length / elapsedMs) * 1000 };
}

/** The same loop for requests that carry no chain state (a guarded query, say). */
export async function runClosedLoop(connections: number, request: () => Promise<void>, durationMs: number): Promise<ChainRun> {
  return runChains(
    Array.from({ length: connections }, () => ''),
    async () => {
      await request();
      return '';
    },
    durationMs,
  );
}
