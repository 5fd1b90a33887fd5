import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { TokenKeyStore } from '../../src/modules/token/domain/token-key-store.js';
import { login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { ME } from '../helpers/operations.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { rest } from '../helpers/rest-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('signing-key rotation', () => {
  let app: TestApp;
  let user: TestUser;
  const published = async () =>
    ((await rest(app.baseUrl, 'GET', '/.well-known/jwks.json')).body.keys as { kid: string }[]).map((key) => key.kid);

  beforeAll(async () => {
    app = await startTestApp();
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('signs with the new key at once, keeps the old one working and published until its tokens expire, then drops it', async () => {
    const before = await login(app.graphql, user);
    const oldKid = decodeProtectedHeader(before.tokens.accessToken).kid!;
    expect(await published()).toEqual([oldKid]);

    const newKid = await app.tessera.app.get(TokenKeyStore).rotate();
    expect(newKid).not.toBe(oldKid);
    expect(await published()).toEqual([newKid, oldKid]);

    // Tokens from before the rotation keep working; new ones carry the new kid and verify with the JWKS.
    await expect(app.graphql.data(ME, {}, before.tokens.accessToken)).resolves.toBeTruthy();
    const after = await refresh(app.graphql, before.tokens.refreshToken);
    expect(decodeProtectedHeader(after.tokens.accessToken).kid).toBe(newKid);
    const jwks = createRemoteJWKSet(new URL(`${app.baseUrl}/.well-known/jwks.json`));
    for (const token of [before.tokens.accessToken, after.tokens.accessToken]) {
      await expect(jwtVerify(token, jwks, { currentDate: app.clock.now() })).resolves.toBeTruthy();
    }

    // Once the last token the old key signed has expired, the key leaves the JWKS.
    app.clock.advance(17 * MINUTE);
    await app.tessera.app.get(TokenKeyStore).reload();
    expect(await published()).toEqual([newKid]);
  });
});
