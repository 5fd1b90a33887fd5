import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { SignJWT, decodeJwt } from 'jose';
import { generateKeyPairSync } from 'node:crypto';
import { login, registerUser, type TestUser } from '../factories/session.factory.js';
import { ME, REFRESH_SESSION } from '../helpers/operations.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CLIENT = { id: 'orders-service', secret: 'a long shared introspection secret' };

describe('RFC 7009 revocation and RFC 7662 introspection', () => {
  let app: TestApp;
  let user: TestUser;
  const form = (path: string, fields: Record<string, string>, headers: Record<string, string> = {}) =>
    fetch(`${app.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      body: new URLSearchParams(fields).toString(),
    });
  const basic = (id = CLIENT.id, secret = CLIENT.secret) => ({
    authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
  });
  const introspect = async (token: string) =>
    (await form('/oauth/introspect', { token }, basic())).json() as Promise<Record<string, unknown>>;

  beforeAll(async () => {
    app = await startTestApp({ INTROSPECTION_CLIENT_ID: CLIENT.id, INTROSPECTION_CLIENT_SECRET: CLIENT.secret });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('revokes the session of a refresh token, and of an access token', async () => {
    const byRefresh = await login(app.graphql, user);
    const response = await form('/oauth/revoke', { token: byRefresh.tokens.refreshToken, token_type_hint: 'refresh_token' });
    expect(response.status).toBe(200);
    expect(await app.graphql.errorCode(ME, {}, byRefresh.tokens.accessToken)).toBe('SESSION_REVOKED');

    const byAccess = await login(app.graphql, user);
    expect((await form('/oauth/revoke', { token: byAccess.tokens.accessToken })).status).toBe(200);
    expect(await app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken: byAccess.tokens.refreshToken } })).toBe('SESSION_REVOKED');
  });

  it('answers 200 for unknown and malformed tokens, and 400 without one', async () => {
    for (const token of ['tsr_' + 'B'.repeat(43), 'garbage', 'eyJ.eyJ.sig']) {
      expect((await form('/oauth/revoke', { token })).status).toBe(200);
    }
    const missing = await form('/oauth/revoke', {});
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ error: 'invalid_request' });
  });

  it('demands the introspection client’s Basic credentials', async () => {
    const { tokens } = await login(app.graphql, user);
    for (const headers of [{}, basic(CLIENT.id, 'wrong'), basic('someone', CLIENT.secret), { authorization: 'Bearer x' }]) {
      const response = await form('/oauth/introspect', { token: tokens.accessToken }, headers);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('Basic');
      expect(await response.json()).toEqual({ error: 'invalid_client' });
    }
  });

  it('describes an active access token', async () => {
    const { tokens, session } = await login(app.graphql, user);
    const claims = decodeJwt(tokens.accessToken);
    expect(await introspect(tokens.accessToken)).toEqual({
      active: true,
      token_type: 'Bearer',
      sub: user.id,
      sid: session.id,
      jti: claims.jti,
      iat: claims.iat,
      exp: claims.exp,
      iss: 'http://localhost:3000',
      aud: 'tessera',
      client_id: 'tessera-app',
      roles: ['USER'],
      scope: 'user',
    });
  });

  it('answers exactly {"active":false} for revoked, expired, idle, foreign, refresh and malformed tokens, revocation at once', async () => {
    const revoked = await login(app.graphql, user);
    expect((await introspect(revoked.tokens.accessToken)).active).toBe(true);
    await app.graphql.data(`mutation { logout }`, {}, revoked.tokens.accessToken);
    expect(await introspect(revoked.tokens.accessToken)).toEqual({ active: false });

    const live = await login(app.graphql, user);
    const foreign = await new SignJWT(decodeJwt(live.tokens.accessToken))
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'not-ours' })
      .sign(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey);
    for (const token of [foreign, live.tokens.refreshToken, 'not a token']) {
      expect(await introspect(token)).toEqual({ active: false });
    }

    app.clock.advance(31 * MINUTE);
    expect(await introspect(live.tokens.accessToken)).toEqual({ active: false }); // idle, and past its 15 minutes
  });
});
