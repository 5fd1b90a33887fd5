import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { login, registerUser } from '../factories/session.factory.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/** What HTTP clients and their libraries expect to find, beyond the body. */
describe('HTTP conventions', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('refuses a cross-site-able GraphQL request with CSRF_BLOCKED, not a validation code', async () => {
    const response = await fetch(`${app.graphql.url}?query=${encodeURIComponent('{ __typename }')}`);
    const body = (await response.json()) as { errors: { message: string; extensions: { code: string } }[] };
    expect(response.status).toBe(400);
    expect(body.errors[0].extensions.code).toBe('CSRF_BLOCKED');
    expect(body.errors[0].message).toContain('apollo-require-preflight');

    const preflighted = await fetch(`${app.graphql.url}?query=${encodeURIComponent('{ __typename }')}`, {
      headers: { 'apollo-require-preflight': 'true' },
    });
    expect(((await preflighted.json()) as { data: unknown }).data).toEqual({ __typename: 'Query' });
  });

  it('names the Bearer scheme on a REST 401, with invalid_token only when a token was refused (RFC 6750 §3)', async () => {
    const withoutToken = await fetch(`${app.baseUrl}/api/auth/session/active`);
    expect(withoutToken.status).toBe(401);
    expect(withoutToken.headers.get('www-authenticate')).toBe('Bearer realm="tessera"');

    const withBadToken = await fetch(`${app.baseUrl}/api/auth/session/active`, { headers: { authorization: 'Bearer not.a.token' } });
    expect(withBadToken.status).toBe(401);
    expect(withBadToken.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');

    const { tokens } = await login(app.graphql, await registerUser(app.graphql));
    app.clock.advance(16 * 60_000);
    const expired = await fetch(`${app.baseUrl}/api/auth/session/active`, { headers: { authorization: `Bearer ${tokens.accessToken}` } });
    expect(expired.status).toBe(401);
    expect(expired.headers.get('www-authenticate')).toBe('Bearer realm="tessera", error="invalid_token"');
  });
});
