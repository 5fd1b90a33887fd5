import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import * as oauth from 'oauth4webapi';
import * as client from 'openid-client';
import { deviceInput, login, registerUser, type TestUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { DeviceKey } from '../helpers/device-key.js';
import { CREATE_SESSION } from '../helpers/operations.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

const CLIENT = { id: 'orders-service', secret: 'a long shared introspection secret' };
const AUDIENCE = 'tessera';

// ── README "For other services", copied verbatim (a test below holds the README to this text) ──
function accessTokenVerifier(issuer: string, audience: string) {
  const jwks = createRemoteJWKSet(new URL(`${issuer}/.well-known/jwks.json`)); // caches the keys; refetches for an unknown kid
  return async (token: string) => (await jwtVerify(token, jwks, { issuer, audience, typ: 'at+jwt', algorithms: ['RS256'] })).payload;
}
// ── end of the README's snippet ──

/** A request with a Host header of the caller's choosing, as an attacker (or a confused proxy) sends it. */
function requestWithHost(url: string, host: string, body?: unknown): Promise<{ status: number; json: Record<string, any> }> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const outgoing = httpRequest(
      url,
      {
        method: payload === undefined ? 'GET' : 'POST',
        headers: { host, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) as Record<string, any> }));
      },
    );
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/**
 * How other services meet Tessera: the compiled service as its own process, started as a developer
 * starts it (no JWT_ISSUER, a PORT of its own), and the libraries they would use against it over
 * real HTTP: openid-client's RFC 8414 discovery, introspection and revocation, oauth4webapi's RFC
 * 9068 validator, and the README's jose snippet.
 */
describe('OAuth metadata, and standard clients against the running service', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let issuer: string;
  let graphql: GraphQLTestClient;
  let user: TestUser;

  /** openid-client as a resource server configures it: discovery, then its Basic credentials. */
  const discover = () =>
    client.discovery(new URL(issuer), CLIENT.id, undefined, client.ClientSecretBasic(CLIENT.secret), {
      algorithm: 'oauth2',
      execute: [client.allowInsecureRequests],
    });
  /** oauth4webapi's discovery: the metadata its validator reads the issuer and jwks_uri from. */
  const authorizationServer = async () => {
    const url = new URL(issuer);
    const response = await oauth.discoveryRequest(url, { algorithm: 'oauth2', [oauth.allowInsecureRequests]: true });
    return oauth.processDiscoveryResponse(url, response);
  };
  /** The request a downstream API receives from an app that holds the token. */
  const apiRequest = (token: string) => new Request('https://orders.example.com/orders', { headers: { authorization: `Bearer ${token}` } });

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    service = new ServiceProcess(
      builtService(),
      {
        ...database.env,
        DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        INTROSPECTION_CLIENT_ID: CLIENT.id,
        INTROSPECTION_CLIENT_SECRET: CLIENT.secret,
      },
      port,
    );
    await service.start();
    issuer = `http://localhost:${port}`;
    graphql = new GraphQLTestClient(`${issuer}/graphql`);
    user = await registerUser(graphql);
  });
  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  describe('without JWT_ISSUER, in development', () => {
    it('issues tokens under the URL of the port it listens on, and its metadata and JWKS agree', async () => {
      const { tokens } = await login(graphql, user);
      expect(decodeJwt(tokens.accessToken).iss).toBe(issuer);
      const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
      expect(metadata.issuer).toBe(issuer);
      expect(metadata.jwks_uri).toBe(`${issuer}/.well-known/jwks.json`);
    });

    it('keeps that issuer whatever Host a caller sends: no token or document names another', async () => {
      const spoofed = 'auth.attacker.example';
      const metadata = await requestWithHost(`${issuer}/.well-known/oauth-authorization-server`, spoofed);
      expect(metadata.json.issuer).toBe(issuer);
      expect(JSON.stringify(metadata.json)).not.toContain(spoofed);

      const signedIn = await requestWithHost(`${issuer}/graphql`, spoofed, {
        query: CREATE_SESSION,
        variables: { input: { email: user.email, password: user.password, device: deviceInput() } },
      });
      expect(signedIn.status).toBe(200);
      const token = signedIn.json.data.createSession.tokens.accessToken as string;
      expect(decodeJwt(token).iss).toBe(issuer);
    });
  });

  describe('GET /.well-known/oauth-authorization-server', () => {
    it('is public, cacheable JSON describing what the service really offers', async () => {
      const response = await fetch(`${issuer}/.well-known/oauth-authorization-server`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      expect(await response.json()).toEqual({
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        response_types_supported: [],
        grant_types_supported: [],
        revocation_endpoint: `${issuer}/oauth/revoke`,
        revocation_endpoint_auth_methods_supported: ['none'],
        introspection_endpoint: `${issuer}/oauth/introspect`,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
        dpop_signing_alg_values_supported: ['ES256', 'ES384', 'EdDSA', 'Ed25519', 'RS256', 'PS256'],
        access_token_signing_alg_values_supported: ['RS256'],
      });
    });

    it('names only URLs that answer as it says: the keys, revocation without credentials, introspection with Basic', async () => {
      const metadata = (await (await fetch(`${issuer}/.well-known/oauth-authorization-server`)).json()) as Record<string, string>;
      const { tokens } = await login(graphql, user);

      const jwks = await fetch(metadata.jwks_uri);
      expect(jwks.status).toBe(200);
      expect(((await jwks.json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toContain(
        JSON.parse(Buffer.from(tokens.accessToken.split('.')[0], 'base64url').toString()).kid,
      );

      const introspected = await fetch(metadata.introspection_endpoint, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}` },
        body: new URLSearchParams({ token: tokens.accessToken }),
      });
      expect(introspected.status).toBe(200);
      expect(await introspected.json()).toMatchObject({ active: true, client_id: 'tessera-app' });

      const revoked = await fetch(metadata.revocation_endpoint, {
        method: 'POST',
        body: new URLSearchParams({ token: tokens.refreshToken }),
      });
      expect(revoked.status).toBe(200);
      expect(await graphql.errorCode('query { me { id } }', {}, tokens.accessToken)).toBe('SESSION_REVOKED');
    });
  });

  describe('openid-client', () => {
    it('discovers the service through RFC 8414', async () => {
      const configuration = await discover();
      expect(configuration.serverMetadata()).toMatchObject({
        issuer,
        jwks_uri: `${issuer}/.well-known/jwks.json`,
        introspection_endpoint: `${issuer}/oauth/introspect`,
        revocation_endpoint: `${issuer}/oauth/revoke`,
      });
    });

    it('introspects a live access token, and sees a revocation it sent at once', async () => {
      const configuration = await discover();
      const { tokens, session } = await login(graphql, user);

      const live = await client.tokenIntrospection(configuration, tokens.accessToken);
      expect(live).toMatchObject({
        active: true,
        client_id: 'tessera-app',
        sub: user.id,
        sid: session.id,
        iss: issuer,
        aud: AUDIENCE,
        token_type: 'Bearer',
      });

      await client.tokenRevocation(configuration, tokens.refreshToken, { token_type_hint: 'refresh_token' });
      expect(await client.tokenIntrospection(configuration, tokens.accessToken)).toEqual({ active: false });
    });
  });

  describe('oauth4webapi’s RFC 9068 validator', () => {
    it('accepts an access token from a real login, client_id and all', async () => {
      const { tokens, session } = await login(graphql, user);
      const claims = await oauth.validateJwtAccessToken(await authorizationServer(), apiRequest(tokens.accessToken), AUDIENCE, {
        [oauth.allowInsecureRequests]: true,
      });
      expect(claims).toMatchObject({ iss: issuer, aud: AUDIENCE, sub: user.id, sid: session.id, client_id: 'tessera-app' });
    });

    it('refuses the token for another audience, once expired, and when it is not ours', async () => {
      const as = await authorizationServer();
      const { tokens } = await login(graphql, user);
      const validate = (token: string, audience: string, extra: oauth.ValidateJWTAccessTokenOptions = {}) =>
        oauth.validateJwtAccessToken(as, apiRequest(token), audience, { [oauth.allowInsecureRequests]: true, ...extra });

      await expect(validate(tokens.accessToken, 'orders-api')).rejects.toThrow(/"aud"/);
      // Twenty minutes on: past the default 15-minute lifetime and the validator's 30 s tolerance.
      await expect(validate(tokens.accessToken, AUDIENCE, { [oauth.clockSkew]: 20 * 60 })).rejects.toThrow(/"exp"/);
      const [header, payload] = tokens.accessToken.split('.');
      await expect(validate(`${header}.${payload}.${'A'.repeat(342)}`, AUDIENCE)).rejects.toThrow();
    });

    it('accepts a device-bound token only with a proof by the device’s key', async () => {
      const key = await DeviceKey.create();
      const graphqlUrl = `${issuer}/graphql`;
      const signIn = async (nonce?: string) => {
        const response = await fetch(graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', dpop: await key.proof(new Date(), 'POST', graphqlUrl, { nonce }) },
          body: JSON.stringify({
            query: CREATE_SESSION,
            variables: { input: { email: user.email, password: user.password, device: deviceInput() } },
          }),
        });
        return { nonce: response.headers.get('dpop-nonce'), body: (await response.json()) as { data?: Record<string, any> | null } };
      };
      // As an app signs in with a key: the first proof brings back the server's nonce, the second uses it.
      const bound = (await signIn((await signIn()).nonce ?? undefined)).body.data!.createSession.tokens.accessToken as string;
      const as = await authorizationServer();
      const api = 'https://orders.example.com/orders';

      const proof = await key.proof(new Date(), 'GET', api, { accessToken: bound });
      const withProof = new Request(api, { headers: { authorization: `DPoP ${bound}`, dpop: proof } });
      const claims = await oauth.validateJwtAccessToken(as, withProof, AUDIENCE, { [oauth.allowInsecureRequests]: true });
      expect(claims.cnf).toEqual({ jkt: key.thumbprint });

      // A copy of the token, sent as a bearer token or with another key's proof, is refused.
      await expect(
        oauth.validateJwtAccessToken(as, apiRequest(bound), AUDIENCE, { [oauth.allowInsecureRequests]: true }),
      ).rejects.toThrow();
      const thief = await DeviceKey.create();
      const thiefs = new Request(api, {
        headers: { authorization: `DPoP ${bound}`, dpop: await thief.proof(new Date(), 'GET', api, { accessToken: bound }) },
      });
      await expect(oauth.validateJwtAccessToken(as, thiefs, AUDIENCE, { [oauth.allowInsecureRequests]: true })).rejects.toThrow(
        'confirmation mismatch',
      );
    });

    it('cannot see a revocation offline: only introspection answers for that', async () => {
      const { tokens } = await login(graphql, user);
      await client.tokenRevocation(await discover(), tokens.accessToken);
      const offline = await oauth.validateJwtAccessToken(await authorizationServer(), apiRequest(tokens.accessToken), AUDIENCE, {
        [oauth.allowInsecureRequests]: true,
      });
      expect(offline.sub).toBe(user.id);
      expect(await client.tokenIntrospection(await discover(), tokens.accessToken)).toEqual({ active: false });
    });
  });

  describe('the README’s jose snippet', () => {
    it('verifies a real access token', async () => {
      const { tokens, session } = await login(graphql, user);
      const verify = accessTokenVerifier(issuer, AUDIENCE);
      expect(await verify(tokens.accessToken)).toMatchObject({ sub: user.id, sid: session.id, client_id: 'tessera-app', roles: ['USER'] });
      await expect(accessTokenVerifier(issuer, 'orders-api')(tokens.accessToken)).rejects.toThrow(/"aud"/);
      // The same service under another name is another issuer: the keys match, the name does not.
      await expect(accessTokenVerifier(service.baseUrl, AUDIENCE)(tokens.accessToken)).rejects.toThrow(/"iss"/);
    });

    it('is in the README exactly as tested here', async () => {
      const root = join(import.meta.dirname, '..', '..');
      const source = await readFile(join(root, 'test', 'e2e', 'oauth-metadata.e2e-spec.ts'), 'utf8');
      const snippet = /^function accessTokenVerifier\([\s\S]*?\n}\n/m.exec(source)![0];
      const expected = `import { createRemoteJWKSet, jwtVerify } from 'jose';\n${snippet}`;
      const readme = (await readFile(join(root, 'README.md'), 'utf8')).split('\n');
      // The README's block, up to its closing fence, without the list item's indentation.
      const first = readme.findIndex((line) => line.trim() === expected.split('\n')[0]);
      const indent = first >= 0 ? readme[first].indexOf('import') : 0;
      const end = readme.findIndex((line, index) => index > first && line.trim() === '```');
      const block = first >= 0 ? readme.slice(first, end).map((line) => line.slice(indent)) : ['the README has no jose snippet'];
      expect(`${block.join('\n')}\n`).toBe(expected);
    });
  });
});
