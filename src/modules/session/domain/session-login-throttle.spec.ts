import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from '@jest/globals';
import { DomainError } from '../../../common/domain-error.js';
import { loadConfig } from '../../../config/app-config.js';
import { SessionLoginThrottle, type FailureCount } from './session-login-throttle.js';

/** Stands in for argon2id: long enough that simultaneous attempts overlap. */
const CHECK_MS = 5;
const ACCOUNT = 'victim@example.com';

const throttle = (env: Record<string, string> = {}) => new SessionLoginThrottle(loadConfig({ LOG_LEVEL: 'silent', ...env }));

/** One login through the throttle: its outcome, as the client would see it. */
async function attempt(limits: SessionLoginThrottle, ip: string, rightPassword: boolean, account = ACCOUNT) {
  try {
    const login = await limits.beginLogin(account, ip);
    await sleep(CHECK_MS);
    if (rightPassword) {
      await login.succeeded();
      return { code: 'OK' as const };
    }
    return { code: 'INVALID_CREDENTIALS' as const, failure: await login.failed() };
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    return { code: error.code, retryAfterSeconds: error.extensions.retryAfterSeconds as number };
  }
}

const tally = (outcomes: readonly { code: string }[]) =>
  outcomes.reduce<Record<string, number>>((counts, { code }) => ({ ...counts, [code]: (counts[code] ?? 0) + 1 }), {});

async function inTurn<T>(count: number, work: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < count; i++) results.push(await work());
  return results;
}

describe('SessionLoginThrottle', () => {
  it('lets only LOGIN_MAX_FAILURES of 40 simultaneous wrong passwords be checked, and refuses the rest', async () => {
    const limits = throttle();
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => attempt(limits, '192.0.2.1', false)));
    expect(tally(outcomes)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 35 });
  });

  it('lets simultaneous right passwords from one address all through, queued behind the checks under way', async () => {
    const limits = throttle();
    const outcomes = await Promise.all(Array.from({ length: 12 }, () => attempt(limits, '192.0.2.1', true)));
    expect(tally(outcomes)).toEqual({ OK: 12 });
  });

  it('refuses the address that failed LOGIN_MAX_FAILURES times, even with the right password, but not the owner elsewhere', async () => {
    const limits = throttle();
    await inTurn(5, () => attempt(limits, '198.51.100.1', false));
    const refused = await attempt(limits, '198.51.100.1', true);
    expect(refused).toMatchObject({ code: 'RATE_LIMITED' });
    expect(refused.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.retryAfterSeconds).toBeLessThanOrEqual(15 * 60);

    expect(await attempt(limits, '198.51.100.2', true)).toEqual({ code: 'OK' });
    // The owner's success elsewhere does not lift the guesser's lock.
    expect((await attempt(limits, '198.51.100.1', true)).code).toBe('RATE_LIMITED');
  });

  it('reports the lock once per burst: only the failure that reached the limit', async () => {
    const limits = throttle();
    const outcomes = await inTurn(5, () => attempt(limits, '198.51.100.1', false));
    const locks = outcomes.map((outcome) => ('failure' in outcome ? (outcome.failure as FailureCount).accountJustLocked : undefined));
    expect(locks).toEqual([false, false, false, false, true]);
    expect((outcomes[4] as { failure: FailureCount }).failure.accountFailures).toBe(5);
  });

  it('gives a success its points back and ends its address’s run of failures', async () => {
    const limits = throttle();
    const codes = [];
    for (let round = 0; round < 3; round++) {
      for (const outcome of await inTurn(4, () => attempt(limits, '198.51.100.1', false))) codes.push(outcome.code);
      codes.push((await attempt(limits, '198.51.100.1', true)).code);
    }
    expect(tally(codes.map((code) => ({ code })))).toEqual({ INVALID_CREDENTIALS: 12, OK: 3 });
  });

  it('refuses the account at every address for the day at LOGIN_ACCOUNT_DAILY_MAX_FAILURES, counting no refused attempt', async () => {
    const limits = throttle({ LOGIN_ACCOUNT_DAILY_MAX_FAILURES: '12' });
    const fromA = await inTurn(25, () => attempt(limits, '203.0.113.1', false));
    expect(tally(fromA)).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 20 });
    const fromB = await inTurn(5, () => attempt(limits, '203.0.113.2', false));
    expect(await attempt(limits, '203.0.113.3', true)).toEqual({ code: 'OK' });
    const [eleventh, twelfth] = await inTurn(2, () => attempt(limits, '203.0.113.4', false));
    expect(eleventh).toMatchObject({ code: 'INVALID_CREDENTIALS', failure: { accountJustLocked: false } });
    expect(twelfth).toMatchObject({ code: 'INVALID_CREDENTIALS', failure: { accountJustLocked: true, accountFailures: 12 } });

    const owner = await attempt(limits, '203.0.113.3', true);
    expect(owner.code).toBe('RATE_LIMITED');
    expect(owner.retryAfterSeconds).toBeGreaterThan(15 * 60);
    expect((await attempt(limits, '203.0.113.5', false)).code).toBe('RATE_LIMITED');
    // One alert per burst: A's lock, B's lock, the day's ceiling.
    const locks = [...fromA, ...fromB, eleventh, twelfth].filter((outcome) => 'failure' in outcome && outcome.failure!.accountJustLocked);
    expect(locks).toHaveLength(3);
  });

  it('refuses an address that failed ten times LOGIN_MAX_FAILURES on many accounts, for any account', async () => {
    const limits = throttle();
    const accounts = Array.from({ length: 25 }, (_, i) => `person-${i}@example.com`);
    const failures = await Promise.all(accounts.map((account) => inTurn(2, () => attempt(limits, '192.0.2.9', false, account))));
    const flat = failures.flat();
    expect(tally(flat)).toEqual({ INVALID_CREDENTIALS: 50 });
    expect(flat.filter((outcome) => 'failure' in outcome && outcome.failure!.ipJustLocked)).toHaveLength(1);
    expect((await attempt(limits, '192.0.2.9', true, 'someone-else@example.com')).code).toBe('RATE_LIMITED');
    expect(await attempt(limits, '192.0.2.10', true, 'someone-else@example.com')).toEqual({ code: 'OK' });
  });

  it('counts an abandoned check as nothing', async () => {
    const limits = throttle();
    for (let i = 0; i < 10; i++) await (await limits.beginLogin(ACCOUNT, '192.0.2.1')).abandoned();
    expect((await attempt(limits, '192.0.2.1', false)).code).toBe('INVALID_CREDENTIALS');
  });
});
