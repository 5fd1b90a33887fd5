import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { login, registerUser, type LoginResult } from '../factories/session.factory.js';
import {
  CREATE_SESSION,
  REFRESH_SESSION,
  REGISTER,
  REVOKE_ALL,
  REVOKE_SESSION,
  SESSION,
  ACTIVITY,
  ACKNOWLEDGE,
  TRUST_DEVICE,
} from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { GraphQLSocket } from '../helpers/graphql-ws-socket.js';

const CONTRACT_CODES = new Set([
  'UNAUTHENTICATED',
  'TOKEN_EXPIRED',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  'INVALID_REFRESH_TOKEN',
  'REFRESH_TOKEN_REUSED',
  'INVALID_CREDENTIALS',
  'FORBIDDEN',
  'NOT_FOUND',
  'BAD_USER_INPUT',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);

/** Values of every kind a careless or hostile client might send. */
const anyValue = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.constantFrom('', ' ', '\u0000', "' OR 1=1 --", '../../etc/passwd', 'tsr_', 'Bearer x', '00000000-0000-0000-0000-000000000000'),
  fc.integer(),
  fc.double(),
  fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 5 }),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 4 }),
);

/** Inputs shaped like each operation's, with any value in any field, plus extra fields. */
const inputLike = (fields: string[]) =>
  fc.oneof(
    fc.record(Object.fromEntries(fields.map((field) => [field, anyValue])), { requiredKeys: [] }),
    fc.record(
      {
        ...Object.fromEntries(fields.map((field) => [field, anyValue])),
        device: fc.oneof(anyValue, fc.record({ deviceId: anyValue, type: anyValue, name: anyValue })),
      },
      { requiredKeys: [] },
    ),
    anyValue,
  );

describe('fuzzing the public surface', () => {
  let app: TestApp;
  let session: LoginResult;

  beforeAll(async () => {
    // Generous limits: the fuzzer's failed logins must not turn into RATE_LIMITED for everything.
    app = await startTestApp({ LOGIN_MAX_FAILURES: '1000' });
    session = await login(app.graphql, await registerUser(app.graphql));
  });
  afterAll(() => app.close());

  const operations: [string, string, string[], boolean][] = [
    ['register', REGISTER, ['email', 'password'], false],
    ['createSession', CREATE_SESSION, ['email', 'password', 'device'], false],
    ['refreshSession', REFRESH_SESSION, ['refreshToken'], false],
    ['revokeAllSessions', REVOKE_ALL, ['exceptCurrent', 'userId'], true],
    ['sessionActivity', ACTIVITY, ['filter', 'first', 'after'], true],
  ];

  it.each(operations)('%s never answers 5xx nor an error code outside the contract', async (_, query, fields, authenticated) => {
    await fc.assert(
      fc.asyncProperty(inputLike(fields), async (input) => {
        const variables = query === ACTIVITY ? (typeof input === 'object' && input !== null ? input : { first: input }) : { input };
        const result = await app.graphql.request(
          query,
          variables as Record<string, unknown>,
          authenticated ? session.tokens.accessToken : undefined,
        );
        expect(result.status).toBeLessThan(500);
        for (const error of result.errors ?? []) expect(CONTRACT_CODES).toContain(error.extensions.code);
      }),
      { numRuns: 20 },
    );
  });

  it('never fails on ids of any shape', async () => {
    await fc.assert(
      fc.asyncProperty(anyValue, fc.constantFrom(REVOKE_SESSION, SESSION, ACKNOWLEDGE, TRUST_DEVICE), async (id, query) => {
        const result = await app.graphql.request(query, { id }, session.tokens.accessToken);
        expect(result.status).toBeLessThan(500);
        for (const error of result.errors ?? []) expect(CONTRACT_CODES).toContain(error.extensions.code);
      }),
      { numRuns: 25 },
    );
  });

  it('never answers 5xx on the REST and OAuth endpoints, whatever the body', async () => {
    const paths = [
      '/api/auth/session/create',
      '/api/auth/session/refresh',
      '/api/auth/session/revoke',
      '/api/auth/session/revoke-all',
      '/oauth/revoke',
      '/oauth/introspect',
    ];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...paths),
        fc.oneof(
          inputLike(['email', 'password', 'refreshToken', 'sessionId', 'exceptCurrent', 'token']).map(
            (body) => JSON.stringify(body) ?? 'null',
          ),
          fc.string({ maxLength: 200 }),
        ),
        fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain'),
        fc.boolean(),
        async (path, body, contentType, authenticated) => {
          const response = await fetch(`${app.baseUrl}${path}`, {
            method: 'POST',
            headers: { 'content-type': contentType, ...(authenticated ? { authorization: `Bearer ${session.tokens.accessToken}` } : {}) },
            body,
          });
          expect(response.status).toBeLessThan(500);
          const text = await response.text();
          expect(text).not.toMatch(/at \S+ \(|node_modules|QueryFailedError/);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('over graphql-ws too: every answer carries a contract code, and the socket stays open', async () => {
    // A session of its own: the HTTP fuzzing above may well have revoked the first one.
    const own = await login(app.graphql, await registerUser(app.graphql));
    const socket = new GraphQLSocket(app.graphql.url, own.tokens.accessToken);
    await socket.connected;
    // Not revokeAllSessions: the fuzzer would end the very session its socket is bound to.
    const overSocket = operations.filter(([name]) => name !== 'revokeAllSessions');
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...overSocket),
          inputLike(['email', 'password', 'device', 'refreshToken', 'filter', 'first']),
          anyValue,
          async ([, query], input, id) => {
            // Variables that are not an object break graphql-ws's protocol itself (closed with 4400), not our rules.
            const asObject = typeof input === 'object' && input !== null && !Array.isArray(input);
            const variables = query === ACTIVITY ? (asObject ? input : { first: input }) : { input };
            for (const [document, values] of [
              [query, variables],
              [REVOKE_SESSION, { id }],
              [SESSION, { id }],
            ] as const) {
              const result = await socket.request(document, values);
              for (const error of result.errors ?? []) expect(CONTRACT_CODES).toContain(error.extensions?.code);
            }
          },
        ),
        { numRuns: 20 },
      );
      expect(socket.closeCode).toBeUndefined();
    } finally {
      await socket.dispose();
    }
  });

  // An unhandled rejection in the service fails the test it happens in: Jest sees it, a handler on the test's `process` would not.
  it('is still up afterwards, and a new login works', async () => {
    expect((await fetch(`${app.baseUrl}/health/ready`)).status).toBe(200);
    // The fuzzer may well have signed its own session out (revokeAllSessions); a new login must work.
    const fresh = await login(app.graphql, await registerUser(app.graphql));
    expect((await app.graphql.request(`query { me { id } }`, {}, fresh.tokens.accessToken)).errors).toBeUndefined();
  });
});
