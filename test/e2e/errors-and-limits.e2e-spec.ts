import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { SignJWT, decodeJwt, decodeProtectedHeader } from 'jose';
import { deviceInput, login, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { CREATE_SESSION, ME, SESSION } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { closedWithin, GraphQLSocket } from '../helpers/graphql-ws-socket.js';
import { TokenKeyStore } from '../../src/modules/token/domain/token-key-store.js';

describe('errors and query limits', () => {
  let app: TestApp;
  let user: TestUser;
  let session: LoginResult;

  const post = (body: string, headers: Record<string, string> = {}) =>
    fetch(app.graphql.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });

  beforeAll(async () => {
    app = await startTestApp();
    user = await registerUser(app.graphql);
    session = await login(app.graphql, user);
  });
  afterAll(() => app.close());

  describe('credentials', () => {
    it('answers a wrong email and a wrong password with the same code and message', async () => {
      const attempt = (email: string, password: string) =>
        app.graphql.request(CREATE_SESSION, { input: { email, password, device: deviceInput() } });
      const wrongPassword = await attempt(user.email, 'not the password at all');
      const wrongEmail = await attempt('nobody-here@example.com', user.password);
      expect(wrongPassword.errors![0].extensions.code).toBe('INVALID_CREDENTIALS');
      expect(wrongEmail.errors![0]).toEqual(wrongPassword.errors![0]);
    });

    it('normalises the email at login as at registration', async () => {
      const shouted = { ...user, email: `  ${user.email.toUpperCase()} ` };
      await expect(login(app.graphql, shouted)).resolves.toMatchObject({ user: { id: user.id } });
    });
  });

  describe('input validation', () => {
    it('names every invalid field in extensions.fields', async () => {
      const result = await app.graphql.request(CREATE_SESSION, {
        input: { email: 'nope', password: '', device: { deviceId: 'short', type: 'IOS', name: 'x'.repeat(101) } },
      });
      const error = result.errors![0];
      expect(error.extensions.code).toBe('BAD_USER_INPUT');
      expect(error.extensions.fields).toEqual(expect.arrayContaining(['email', 'password', 'device.deviceId', 'device.name']));
      expect(result.status).toBeLessThan(500);
    });

    it('refuses an id that is not an id before it reaches the database', async () => {
      const result = await app.graphql.request(SESSION, { id: "1' OR '1'='1" }, session.tokens.accessToken);
      expect(result.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['id'] });
    });

    it('gives a GraphQL syntax or type error the BAD_USER_INPUT code, without field suggestions', async () => {
      const syntax = await app.graphql.request('query { me { id ');
      expect(syntax.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      const unknownField = await app.graphql.request('query { me { idd } }', {}, session.tokens.accessToken);
      expect(unknownField.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(unknownField.errors![0].message).not.toContain('Did you mean');
      const wrongType = await app.graphql.request(CREATE_SESSION, { input: { email: 42 } });
      expect(wrongType.errors![0].extensions.code).toBe('BAD_USER_INPUT');
    });
  });

  describe('query limits', () => {
    const elevenLevels = `query { __type(name: "Mutation") { fields { args { type { fields { args { type { fields { args { type { name } } } } } } } } } } }`;

    it('refuses a document deeper than 10 levels, introspection included', async () => {
      const result = await app.graphql.request(elevenLevels);
      expect(result.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(result.errors![0].message).toContain('11 levels');
      expect(result.status).toBeLessThan(500);
    });

    it('still answers the introspection a GraphQL client sends', async () => {
      const result = await app.graphql.request(getIntrospectionQuery());
      expect(result.errors).toBeUndefined();
      expect(result.data!.__schema.queryType.name).toBe('Query');
    });

    it('refuses more than 15 aliases', async () => {
      const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ');
      const result = await app.graphql.request(`query { ${aliases} }`);
      expect(result.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      const fifteen = Array.from({ length: 15 }, (_, i) => `a${i}: __typename`).join(' ');
      expect((await app.graphql.request(`query { ${fifteen} }`)).errors).toBeUndefined();
    });

    it('refuses a document of more than 2,000 tokens', async () => {
      const fields = Array.from({ length: 2_100 }, () => '__typename').join(' ');
      const result = await app.graphql.request(`query { ${fields} }`);
      expect(result.errors![0].extensions.code).toBe('BAD_USER_INPUT');
      expect(result.status).toBeLessThan(500);
    });

    it('refuses batched requests', async () => {
      const response = await post(JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]));
      expect(response.status).toBe(400);
    });

    it('refuses a body over 100 KB with 413', async () => {
      const response = await post(JSON.stringify({ query: '{ __typename }', variables: { pad: 'x'.repeat(101 * 1024) } }));
      expect(response.status).toBe(413);
    });

    it('refuses a GET query without a preflight header (CSRF)', async () => {
      const response = await fetch(`${app.graphql.url}?query=${encodeURIComponent('{ __typename }')}`);
      expect(response.status).toBe(400);
    });
  });

  describe('access tokens', () => {
    const foreignKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const claimsOf = () => decodeJwt(session.tokens.accessToken);
    const kidOf = () => decodeProtectedHeader(session.tokens.accessToken).kid!;
    const meCode = (token: string) => app.graphql.errorCode(ME, {}, token);

    const forge = (header: Record<string, unknown>, claims: Record<string, unknown> = {}) =>
      new SignJWT({ ...claimsOf(), ...claims })
        .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: kidOf(), ...header })
        .sign(foreignKey);

    it('refuses a token signed by another key under our kid', async () => {
      expect(await meCode(await forge({}))).toBe('UNAUTHENTICATED');
    });

    it('refuses alg none', async () => {
      const [, payload] = session.tokens.accessToken.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid: kidOf() })).toString('base64url');
      expect(await meCode(`${header}.${payload}.`)).toBe('UNAUTHENTICATED');
    });

    it('refuses HS256 keyed with our public key (algorithm confusion)', async () => {
      const jwks = (await (await fetch(`${app.baseUrl}/.well-known/jwks.json`)).json()) as { keys: { n: string }[] };
      const token = await new SignJWT(claimsOf())
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: kidOf() })
        .sign(Buffer.from(jwks.keys[0].n));
      expect(await meCode(token)).toBe('UNAUTHENTICATED');
    });

    it('refuses a token that carries or points at its own key', async () => {
      expect(await meCode(await forge({ jku: 'http://127.0.0.1:1/keys' }))).toBe('UNAUTHENTICATED');
    });

    it('refuses a token re-signed with our key shape but a wrong audience, issuer or type', async () => {
      expect(await meCode(await forge({}, { aud: 'someone-else' }))).toBe('UNAUTHENTICATED');
      expect(await meCode(await forge({}, { iss: 'https://evil.example' }))).toBe('UNAUTHENTICATED');
      expect(await meCode(await forge({ typ: 'JWT' }))).toBe('UNAUTHENTICATED');
    });

    it('refuses a tampered payload', async () => {
      const [header, , signature] = session.tokens.accessToken.split('.');
      const payload = Buffer.from(JSON.stringify({ ...claimsOf(), roles: ['ADMIN'] })).toString('base64url');
      expect(await meCode(`${header}.${payload}.${signature}`)).toBe('UNAUTHENTICATED');
    });

    describe('signed with our own key, so that only the rule under test can refuse them', () => {
      const ourKey = () => app.tessera.app.get(TokenKeyStore).signingKey.privateKey;
      const signedByUs = (header: Record<string, unknown>, claims: Record<string, unknown> = {}, crit?: Record<string, boolean>) =>
        new SignJWT({ ...claimsOf(), ...claims })
          .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: kidOf(), ...header })
          .sign(ourKey(), crit ? { crit } : undefined);
      const nowSeconds = () => Math.floor(app.clock.now().getTime() / 1000);

      it('accepts the token as signed, so that every refusal below is the rule’s', async () => {
        expect(await app.graphql.data(ME, {}, await signedByUs({}))).toMatchObject({ me: { id: user.id } });
      });

      it('refuses a type other than at+jwt, a kid outside our key set and a critical extension', async () => {
        expect(await meCode(await signedByUs({ typ: 'JWT' }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({ typ: undefined }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({ kid: 'not-one-of-ours' }))).toBe('UNAUTHENTICATED');
        const critical = await signedByUs(
          { crit: ['urn:example:policy'], 'urn:example:policy': 'strict' },
          {},
          { 'urn:example:policy': true },
        );
        expect(await meCode(critical)).toBe('UNAUTHENTICATED');
      });

      it('refuses a token that carries or points at a key, even our own', async () => {
        const jwks = (await (await fetch(`${app.baseUrl}/.well-known/jwks.json`)).json()) as { keys: Record<string, string>[] };
        const { kty, n, e } = jwks.keys[0];
        for (const header of [
          { jwk: { kty, n, e } },
          { jku: `${app.baseUrl}/.well-known/jwks.json` },
          { x5u: 'https://keys.example/cert.pem' },
          { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
        ]) {
          expect(await meCode(await signedByUs(header))).toBe('UNAUTHENTICATED');
        }
      });

      it('refuses RS512, a wrong audience or issuer, a missing exp and a token not valid yet', async () => {
        expect(await meCode(await signedByUs({ alg: 'RS512' }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({}, { aud: 'someone-else' }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({}, { iss: 'https://evil.example' }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({}, { exp: undefined }))).toBe('UNAUTHENTICATED');
        expect(await meCode(await signedByUs({}, { nbf: nowSeconds() + 600 }))).toBe('UNAUTHENTICATED');
      });

      it('answers TOKEN_EXPIRED only for a token that would be accepted but for its age', async () => {
        expect(await meCode(await signedByUs({}, { exp: nowSeconds() - 60 }))).toBe('TOKEN_EXPIRED');
        expect(await meCode(await signedByUs({}, { exp: nowSeconds() - 60, aud: 'someone-else' }))).toBe('UNAUTHENTICATED');
      });

      it('refuses them at a socket’s connection_init as over HTTP', async () => {
        for (const token of [await signedByUs({ typ: 'JWT' }), await signedByUs({ kid: 'not-one-of-ours' }), await forge({})]) {
          const socket = new GraphQLSocket(app.graphql.url, token);
          try {
            expect(await closedWithin(socket, 5_000)).toBe(4401);
            expect(socket.closeReason).toBe('UNAUTHENTICATED');
          } finally {
            await socket.dispose();
          }
        }
      });
    });

    it('refuses garbage in the Authorization header', async () => {
      for (const header of ['Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${'a'.repeat(5000)}`, 'Bearer not.a.jwt']) {
        const response = await post(JSON.stringify({ query: ME }), { authorization: header });
        const body = (await response.json()) as { errors: { extensions: { code: string } }[] };
        expect(response.status).toBeLessThan(500);
        expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      }
    });
  });
});
