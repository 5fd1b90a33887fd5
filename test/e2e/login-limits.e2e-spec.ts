import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { PasswordHasher } from '../../src/modules/user/domain/password-hasher.js';
import { deviceInput, PASSWORD } from '../factories/session.factory.js';
import type { GraphQLResponse } from '../helpers/graphql-client.js';
import { ACTIVITY, ALERTS, CREATE_SESSION, REGISTER } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { testDatabaseKind } from '../helpers/test-database.js';

const WINDOW_SECONDS = 15 * 60;
const DAILY_MAX_FAILURES = 12;

/**
 * Counters in Redis outlive the test app (for the window, or the day), so every address here is
 * new to this run: a rerun within the hour starts from nothing, and the other files using the same
 * Redis never meet these keys.
 */
const newAddress = () => `10.${[...randomBytes(3)].join('.')}`;
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const tally = (codes: readonly (string | undefined)[]) =>
  codes.reduce<Record<string, number>>((counts, code) => ({ ...counts, [code ?? 'OK']: (counts[code ?? 'OK'] ?? 0) + 1 }), {});

// The Redis store runs where Redis is part of the run, as the multi-instance file does.
const stores = testDatabaseKind() === 'postgres' ? ['memory', 'Redis'] : ['memory'];

describe.each(stores)('login limits, counted in %s', (store) => {
  let app: TestApp;

  const register = async (email = `user-${randomUUID()}@example.com`) => {
    const result = await app.graphql.request(REGISTER, { input: { email, password: PASSWORD } }, undefined, from(newAddress()));
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return { id: result.data.register.id as string, email, password: PASSWORD };
  };
  const loginFrom = (ip: string, email: string, password: string): Promise<GraphQLResponse> =>
    app.graphql.request(CREATE_SESSION, { input: { email, password, device: deviceInput() } }, undefined, from(ip));
  const codeOf = (response: GraphQLResponse) => response.errors?.[0]?.extensions.code;
  const signIn = async (ip: string, user: { email: string; password: string }) => {
    const response = await loginFrom(ip, user.email, user.password);
    if (!response.data) throw new Error(JSON.stringify(response.errors));
    return response.data.createSession.tokens.accessToken as string;
  };
  const inTurn = async <T>(count: number, work: () => Promise<T>): Promise<T[]> => {
    const results: T[] = [];
    for (let i = 0; i < count; i++) results.push(await work());
    return results;
  };
  const bruteForceAlerts = async (accessToken: string) => {
    await app.settled();
    const alerts = (await app.graphql.data(ALERTS, {}, accessToken)).sessionAlerts as { type: string; details: Record<string, unknown> }[];
    return alerts.filter((alert) => alert.type === 'BRUTE_FORCE');
  };

  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: 'loopback',
      LOGIN_ACCOUNT_DAILY_MAX_FAILURES: String(DAILY_MAX_FAILURES),
      // Registering is only the set-up here; its own limit is registration.e2e-spec.ts's subject.
      REGISTRATION_RATE_LIMIT: '100000',
      ...(store === 'Redis' ? { REDIS_URL: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379' } : {}),
    });
  });
  afterAll(() => app.close());

  it('checks at most LOGIN_MAX_FAILURES of 40 simultaneous wrong passwords and refuses the rest unchecked, as the activity log shows', async () => {
    const user = await register();
    const attacker = newAddress();
    const guess = `wrong password ${randomUUID()}`;
    const verify = jest.spyOn(app.tessera.app.get(PasswordHasher), 'verify');
    try {
      const answers = await Promise.all(Array.from({ length: 40 }, () => loginFrom(attacker, user.email, guess)));
      expect(tally(answers.map(codeOf))).toEqual({ INVALID_CREDENTIALS: 5, RATE_LIMITED: 35 });
      for (const refused of answers.filter((answer) => codeOf(answer) === 'RATE_LIMITED')) {
        expect(refused.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
      }
      expect(verify.mock.calls.filter(([, password]) => password === guess)).toHaveLength(5);
    } finally {
      verify.mockRestore();
    }

    const owner = await signIn(newAddress(), user);
    await app.settled();
    const { edges } = (await app.graphql.data(ACTIVITY, { first: 100, filter: { types: ['LOGIN_FAILED'] } }, owner)).sessionActivity;
    expect(edges).toHaveLength(5);
    expect(edges.every((edge: { node: { ipAddress: string } }) => edge.node.ipAddress === attacker)).toBe(true);
  });

  it('refuses the address that got the password wrong five times, even with the right one, while the owner signs in from another address', async () => {
    const user = await register();
    const attacker = newAddress();
    const wrong = await inTurn(5, () => loginFrom(attacker, user.email, 'wrong password!!'));
    expect(wrong.map(codeOf)).toEqual(Array(5).fill('INVALID_CREDENTIALS'));
    const refused = await loginFrom(attacker, user.email, user.password);
    expect(refused.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(0);
    expect(refused.errors![0].extensions.retryAfterSeconds).toBeLessThanOrEqual(WINDOW_SECONDS);

    const owner = await signIn(newAddress(), user);
    // The owner's success elsewhere does not lift the lock on the guesser's address.
    expect(codeOf(await loginFrom(attacker, user.email, user.password))).toBe('RATE_LIMITED');
    const alerts = await bruteForceAlerts(owner);
    expect(alerts).toEqual([
      expect.objectContaining({ details: expect.objectContaining({ failures: 5, ipAddress: attacker, occurrences: 1 }) }),
    ]);
  });

  it('refuses the account at every address for the rest of the day once LOGIN_ACCOUNT_DAILY_MAX_FAILURES wrong passwords came from several, counting no refused attempt', async () => {
    const user = await register();
    const [a, b, c, d] = [newAddress(), newAddress(), newAddress(), newAddress()];
    expect(tally((await inTurn(25, () => loginFrom(a, user.email, 'wrong password!!'))).map(codeOf))).toEqual({
      INVALID_CREDENTIALS: 5,
      RATE_LIMITED: 20,
    });
    expect(tally((await inTurn(5, () => loginFrom(b, user.email, 'wrong password!!'))).map(codeOf))).toEqual({ INVALID_CREDENTIALS: 5 });
    // 30 attempts so far, 10 of them checked: the owner is still welcome.
    const owner = await signIn(c, user);
    expect(tally((await inTurn(2, () => loginFrom(d, user.email, 'wrong password!!'))).map(codeOf))).toEqual({ INVALID_CREDENTIALS: 2 });

    const refused = await loginFrom(c, user.email, user.password);
    expect(codeOf(refused)).toBe('RATE_LIMITED');
    expect(refused.errors![0].extensions.retryAfterSeconds).toBeGreaterThan(WINDOW_SECONDS);
    expect(codeOf(await loginFrom(newAddress(), user.email, 'another guess!!'))).toBe('RATE_LIMITED');
    // One alert, told of each burst: a's lock, b's lock, the day's ceiling.
    const alerts = await bruteForceAlerts(owner);
    expect(alerts).toEqual([expect.objectContaining({ details: expect.objectContaining({ occurrences: 3 }) })]);
  });

  it('refuses an address that got ten times LOGIN_MAX_FAILURES wrong on many accounts, for any account, and nobody else', async () => {
    const victims = await Promise.all(Array.from({ length: 10 }, () => register()));
    const someone = await register();
    const attacker = newAddress();
    const answers = await Promise.all(
      victims.flatMap((victim) => Array.from({ length: 5 }, () => loginFrom(attacker, victim.email, 'wrong password!!'))),
    );
    expect(tally(answers.map(codeOf))).toEqual({ INVALID_CREDENTIALS: 50 });

    expect(codeOf(await loginFrom(attacker, someone.email, someone.password))).toBe('RATE_LIMITED');
    await expect(signIn(newAddress(), someone)).resolves.toEqual(expect.any(String));
  });

  it('holds no points for a successful login: successes, even simultaneous ones, never add up to a lockout, and each ends the run of failures before it', async () => {
    const user = await register();
    const home = newAddress();
    const codes: (string | undefined)[] = [];
    for (let round = 0; round < 2; round++) {
      for (const answer of await inTurn(4, () => loginFrom(home, user.email, 'wrong password!!'))) codes.push(codeOf(answer));
      codes.push(codeOf(await loginFrom(home, user.email, user.password)));
    }
    expect(codes).toEqual([...Array(4).fill('INVALID_CREDENTIALS'), undefined, ...Array(4).fill('INVALID_CREDENTIALS'), undefined]);

    const together = await Promise.all(Array.from({ length: 8 }, () => loginFrom(home, user.email, user.password)));
    expect(tally(together.map(codeOf))).toEqual({ OK: 8 });
    expect(codeOf(await loginFrom(home, user.email, 'wrong password!!'))).toBe('INVALID_CREDENTIALS');
  });
});
