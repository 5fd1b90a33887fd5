import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceInput, login, registerUser, type TestUser } from '../factories/session.factory.js';
import { CREATE_SESSION, ME, REFRESH_SESSION } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CLIENT = { id: 'orders-service', secret: 'a long shared introspection secret' };

/** RFC 6749 §5.1: neither a browser, a proxy nor an HTTP/1.0 cache may keep an answer that carries a token. */
function expectUncacheable(response: { headers: Headers }): void {
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
}

describe('answers that carry tokens are never cached', () => {
  let app: TestApp;
  let user: TestUser;
  const graphqlPost = (query: string, variables: Record<string, unknown> = {}, accessToken?: string) =>
    fetch(`${app.baseUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(accessToken ? { authorization: `Bearer ${accessToken}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
  const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const basic = { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` };

  beforeAll(async () => {
    app = await startTestApp({ INTROSPECTION_CLIENT_ID: CLIENT.id, INTROSPECTION_CLIENT_SECRET: CLIENT.secret });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('REST session create and refresh', async () => {
    const created = await rest(app.baseUrl, 'POST', '/api/auth/session/create', {
      body: { email: user.email, password: user.password, device: deviceInput() },
    });
    expect(created.status).toBe(201);
    expectUncacheable(created);
    const refreshed = await rest(app.baseUrl, 'POST', '/api/auth/session/refresh', {
      body: { refreshToken: created.body.tokens.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.tokens.accessToken).toEqual(expect.any(String));
    expectUncacheable(refreshed);
    const refused = await rest(app.baseUrl, 'POST', '/api/auth/session/create', {
      body: { email: user.email, password: 'not my password!!', device: deviceInput() },
    });
    expect(refused.status).toBe(401);
    expectUncacheable(refused);
  });

  it('GraphQL createSession, refreshSession, and every other POST /graphql answer', async () => {
    const created = await graphqlPost(CREATE_SESSION, { input: { email: user.email, password: user.password, device: deviceInput() } });
    expectUncacheable(created);
    const { createSession } = (
      (await created.json()) as { data: { createSession: { tokens: { refreshToken: string; accessToken: string } } } }
    ).data;
    const refreshed = await graphqlPost(REFRESH_SESSION, { input: { refreshToken: createSession.tokens.refreshToken } });
    expectUncacheable(refreshed);
    expect(await refreshed.json()).toMatchObject({ data: { refreshSession: { tokens: { accessToken: expect.any(String) } } } });
    expectUncacheable(await graphqlPost(ME, {}, createSession.tokens.accessToken));
    const malformed = await graphqlPost('query {');
    expect(malformed.status).toBe(400);
    expectUncacheable(malformed);
  });

  it('OAuth revocation and introspection, answered or refused', async () => {
    const { tokens } = await login(app.graphql, user);
    const introspected = await form('/oauth/introspect', { token: tokens.accessToken }, basic);
    expect(await introspected.json()).toMatchObject({ active: true });
    expectUncacheable(introspected);
    const unauthorised = await form('/oauth/introspect', { token: tokens.accessToken });
    expect(unauthorised.status).toBe(401);
    expectUncacheable(unauthorised);
    const revoked = await form('/oauth/revoke', { token: tokens.refreshToken });
    expect(revoked.status).toBe(200);
    expectUncacheable(revoked);
    const malformed = await form('/oauth/revoke', {});
    expect(malformed.status).toBe(400);
    expectUncacheable(malformed);
  });

  it('leaves the public key set cacheable for resource servers', async () => {
    const jwks = await fetch(`${app.baseUrl}/.well-known/jwks.json`);
    expect(jwks.headers.get('cache-control')).toBe('public, max-age=300');
    expect(jwks.headers.get('pragma')).toBeNull();
  });
});
