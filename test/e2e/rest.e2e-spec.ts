import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceInput, registerUser, type TestUser } from '../factories/session.factory.js';
import { rest } from '../helpers/rest-client.js';
import { SECOND } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('REST /api/auth/session', () => {
  let app: TestApp;
  let user: TestUser;
  const post = (path: string, body: unknown, accessToken?: string) =>
    rest(app.baseUrl, 'POST', `/api/auth/session/${path}`, { body, accessToken });
  const createSession = () => post('create', { email: user.email, password: user.password, device: deviceInput({ type: 'ANDROID' }) });

  beforeAll(async () => {
    app = await startTestApp();
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('creates a session: 201 with the same payload as createSession, device inlined', async () => {
    const response = await createSession();
    expect(response.status).toBe(201);
    expect(response.body.tokens).toMatchObject({
      tokenType: 'Bearer',
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^tsr_/),
    });
    expect(response.body.session).toMatchObject({ status: 'ACTIVE', current: true, device: { type: 'ANDROID', trusted: false } });
    expect(response.body.user).toMatchObject({ id: user.id, email: user.email, roles: ['USER'] });
    expect(response.body.user).not.toHaveProperty('passwordHash');
  });

  it('refreshes with rotation, and answers reuse with 401 REFRESH_TOKEN_REUSED', async () => {
    const created = (await createSession()).body;
    const rotated = await post('refresh', { refreshToken: created.tokens.refreshToken });
    expect(rotated.status).toBe(200);
    expect(rotated.body.session.id).toBe(created.session.id);
    expect(rotated.body.tokens.refreshToken).not.toBe(created.tokens.refreshToken);

    await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: rotated.body.tokens.accessToken });
    app.clock.advance(11 * SECOND);
    const reused = await post('refresh', { refreshToken: created.tokens.refreshToken });
    expect(reused.status).toBe(401);
    expect(reused.body).toEqual({ error: { code: 'REFRESH_TOKEN_REUSED', message: expect.any(String) } });
  });

  it('lists active sessions, revokes one, and signs out everywhere else', async () => {
    const [a, b, c] = [(await createSession()).body, (await createSession()).body, (await createSession()).body];
    const active = await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: a.tokens.accessToken });
    expect(active.status).toBe(200);
    const ids = active.body.sessions.map((s: { id: string }) => s.id);
    expect(ids).toEqual(expect.arrayContaining([a.session.id, b.session.id, c.session.id]));
    expect(active.body.sessions.find((s: { id: string }) => s.id === a.session.id)).toMatchObject({
      current: true,
      device: { type: 'ANDROID' },
    });

    const revoked = await post('revoke', { sessionId: b.session.id }, a.tokens.accessToken);
    expect(revoked.status).toBe(200);
    expect(revoked.body.session).toMatchObject({ id: b.session.id, status: 'REVOKED', endReason: 'REVOKED_BY_USER' });
    const refused = await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: b.tokens.accessToken });
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe('SESSION_REVOKED');

    const all = await post('revoke-all', { exceptCurrent: true }, a.tokens.accessToken);
    expect(all.status).toBe(200);
    expect(all.body.count).toBeGreaterThanOrEqual(1);
    expect((await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: c.tokens.accessToken })).body.error.code).toBe(
      'SESSION_REVOKED',
    );
    const left = await rest(app.baseUrl, 'GET', '/api/auth/session/active', { accessToken: a.tokens.accessToken });
    expect(left.body.sessions.map((s: { id: string }) => s.id)).toEqual([a.session.id]);
  });

  it('answers each failure with its code and status, never a 5xx', async () => {
    const wrong = await post('create', { email: user.email, password: 'wrong password!!', device: deviceInput() });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.code).toBe('INVALID_CREDENTIALS');

    const invalid = await post('create', { email: 'not-an-email', password: 'x', device: { type: 'PHONE' } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('BAD_USER_INPUT');
    expect(invalid.body.error.fields).toEqual(expect.arrayContaining(['email', 'device.deviceId', 'device.type']));

    const unauthenticated = await rest(app.baseUrl, 'GET', '/api/auth/session/active');
    expect(unauthenticated.status).toBe(401);
    expect(unauthenticated.body.error.code).toBe('UNAUTHENTICATED');

    const created = (await createSession()).body;
    const badId = await post('revoke', { sessionId: 'nope' }, created.tokens.accessToken);
    expect(badId.status).toBe(400);
    const missing = await post('revoke', { sessionId: '00000000-0000-4000-8000-000000000000' }, created.tokens.accessToken);
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('NOT_FOUND');

    const malformed = await rest(app.baseUrl, 'POST', '/api/auth/session/refresh', { rawBody: '{"refreshToken": ' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.code).toBe('BAD_USER_INPUT');

    const unknownField = await post('refresh', { refreshToken: 'tsr_x', admin: true });
    expect(unknownField.status).toBe(400);
    expect(unknownField.body.error.fields).toEqual(['admin']);

    const tooBig = await post('refresh', { refreshToken: 'x'.repeat(200 * 1024) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.error.code).toBe('BAD_USER_INPUT');

    const noRoute = await rest(app.baseUrl, 'GET', '/api/auth/session/nothing-here');
    expect(noRoute.status).toBe(404);
    expect(noRoute.body.error.code).toBe('NOT_FOUND');
  });

  it('serves the public keys and health without authentication', async () => {
    const jwks = await rest(app.baseUrl, 'GET', '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    expect(jwks.body.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig', kid: expect.any(String), e: 'AQAB' });
    expect(jwks.body.keys[0]).not.toHaveProperty('d');
    expect((await rest(app.baseUrl, 'GET', '/health/live')).status).toBe(200);
    const ready = await rest(app.baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info.database.status).toBe('up');
  });
});
