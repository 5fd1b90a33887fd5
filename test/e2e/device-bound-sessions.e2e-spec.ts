import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { deviceInput, PASSWORD, registerUser, type TestUser } from '../factories/session.factory.js';
import { DeviceKey } from '../helpers/device-key.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { DataSource } from 'typeorm';
import {
  ACTIVITY,
  ALERTS,
  CREATE_SESSION,
  ME,
  PAYLOAD_FIELDS,
  REAUTHENTICATE,
  TRUST_DEVICE,
  UNTRUST_DEVICE,
} from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const CLIENT = { id: 'resource-server', secret: 'a resource server secret' };
const REFRESH = `mutation Refresh($input: RefreshSessionInput!) { refreshSession(input: $input) { ${PAYLOAD_FIELDS} session { deviceBound } } }`;
const LOGIN = `mutation Login($input: CreateSessionInput!) { createSession(input: $input) { ${PAYLOAD_FIELDS} session { deviceBound } } }`;

interface GraphQLAnswer {
  readonly status: number;
  readonly nonce: string | null;
  readonly data?: Record<string, any> | null;
  readonly errors?: { message: string; extensions: Record<string, any> }[];
}

describe('device-bound sessions (DPoP, RFC 9449)', () => {
  let app: TestApp;
  let user: TestUser;
  const sockets: ReturnType<typeof createClient>[] = [];

  /** POST /graphql as an app sends it, with the access token under its scheme and a DPoP proof when given. */
  const post = async (
    query: string,
    variables: Record<string, unknown>,
    options: { token?: string; scheme?: 'Bearer' | 'DPoP'; proof?: string } = {},
  ): Promise<GraphQLAnswer> => {
    const response = await fetch(app.graphql.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(options.token ? { authorization: `${options.scheme ?? 'DPoP'} ${options.token}` } : {}),
        ...(options.proof ? { dpop: options.proof } : {}),
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as Omit<GraphQLAnswer, 'status' | 'nonce'>;
    return { status: response.status, nonce: response.headers.get('dpop-nonce'), ...body };
  };
  const proofFor = (key: DeviceKey, extra: { nonce?: string; accessToken?: string; jti?: string } = {}) =>
    key.proof(app.clock.now(), 'POST', app.graphql.url, extra);

  /** A bound login as an app makes it: the first proof brings back the server's nonce, the second uses it. */
  const boundLogin = async (key: DeviceKey, device = deviceInput()) => {
    const input = { email: user.email, password: PASSWORD, device };
    const first = await post(LOGIN, { input }, { proof: await proofFor(key) });
    expect(first.errors?.[0].extensions).toMatchObject({ code: 'INVALID_DPOP_PROOF', nonce: expect.any(String) });
    expect(first.nonce).toBe(first.errors![0].extensions.nonce);
    const second = await post(LOGIN, { input }, { proof: await proofFor(key, { nonce: first.nonce! }) });
    expect(second.errors).toBeUndefined();
    return { ...second.data!.createSession, nonce: second.nonce! } as {
      tokens: { tokenType: string; accessToken: string; refreshToken: string };
      session: { id: string; deviceBound: boolean; device: { id: string } };
      nonce: string;
    };
  };

  beforeAll(async () => {
    app = await startTestApp({ INTROSPECTION_CLIENT_ID: CLIENT.id, INTROSPECTION_CLIENT_SECRET: CLIENT.secret, ACCESS_TOKEN_TTL: '60m' });
    user = await registerUser(app.graphql);
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map(async (socket) => socket.dispose()));
  });
  afterAll(() => app.close());

  it('binds a login that proves a key: deviceBound, DPoP tokens with cnf.jkt, and requests need a proof naming the token', async () => {
    const key = await DeviceKey.create();
    const login = await boundLogin(key);

    expect(login.session.deviceBound).toBe(true);
    expect(login.tokens.tokenType).toBe('DPoP');
    expect(decodeJwt(login.tokens.accessToken)).toMatchObject({ cnf: { jkt: key.thumbprint }, amr: ['pwd'] });

    const token = login.tokens.accessToken;
    const ok = await post(ME, {}, { token, proof: await proofFor(key, { accessToken: token }) });
    expect(ok.data?.me.id).toBe(user.id);

    const refusals = [
      await post(ME, {}, { token, scheme: 'Bearer' }),
      await post(ME, {}, { token }),
      await post(ME, {}, { token, proof: await proofFor(key) }), // no ath
      await post(ME, {}, { token, proof: await proofFor(await DeviceKey.create(), { accessToken: token }) }),
      await post(ME, {}, { token, proof: await key.proof(app.clock.now(), 'GET', app.graphql.url, { accessToken: token }) }),
      await post(
        ME,
        {},
        {
          token,
          proof: await key.proof(new Date(app.clock.now().getTime() - 5 * MINUTE), 'POST', app.graphql.url, { accessToken: token }),
        },
      ),
    ];
    for (const refusal of refusals) expect(refusal.errors?.[0].extensions.code).toBe('INVALID_DPOP_PROOF');
    const overRest = await fetch(`${app.baseUrl}/api/auth/session/active`, { headers: { authorization: `Bearer ${token}` } });
    expect(overRest.status).toBe(401);
    expect(overRest.headers.get('www-authenticate')).toMatch(/^DPoP realm="tessera", error="invalid_dpop_proof", algs="ES256 /);
    const active = `${app.baseUrl}/api/auth/session/active`;
    const withProof = await fetch(active, {
      headers: { authorization: `DPoP ${token}`, dpop: await key.proof(app.clock.now(), 'GET', active, { accessToken: token }) },
    });
    expect(withProof.status).toBe(200);

    const once = await proofFor(key, { accessToken: token });
    expect((await post(ME, {}, { token, proof: once })).errors).toBeUndefined();
    expect((await post(ME, {}, { token, proof: once })).errors?.[0].extensions.code).toBe('INVALID_DPOP_PROOF');
  });

  it('refuses a copied refresh token without the key (INVALID_DPOP_PROOF), alerts, and leaves the device signed in', async () => {
    const key = await DeviceKey.create();
    const login = await boundLogin(key);
    const scrape = async () => await (await fetch(`${app.baseUrl}/metrics`)).text();
    const refusalsBefore = Number(/tessera_refresh_device_key_refusals_total (\d+)/.exec(await scrape())?.[1] ?? 0);

    const stolen = await post(REFRESH, { input: { refreshToken: login.tokens.refreshToken } });
    const forged = await post(
      REFRESH,
      { input: { refreshToken: login.tokens.refreshToken } },
      { proof: await proofFor(await DeviceKey.create(), { nonce: login.nonce }) },
    );

    for (const attempt of [stolen, forged]) expect(attempt.errors?.[0].extensions.code).toBe('INVALID_DPOP_PROOF');
    expect(Number(/tessera_refresh_device_key_refusals_total (\d+)/.exec(await scrape())?.[1])).toBe(refusalsBefore + 2);
    const token = login.tokens.accessToken;
    const alerts = (await post(ALERTS, {}, { token, proof: await proofFor(key, { accessToken: token }) })).data!.sessionAlerts as {
      type: string;
      severity: string;
      sessionId: string;
    }[];
    expect(alerts.find((alert) => alert.type === 'REFRESH_WITHOUT_DEVICE_KEY')).toMatchObject({
      severity: 'CRITICAL',
      sessionId: login.session.id,
    });

    const real = await post(
      REFRESH,
      { input: { refreshToken: login.tokens.refreshToken } },
      { proof: await proofFor(key, { nonce: login.nonce }) },
    );
    expect(real.errors).toBeUndefined();
    expect(real.data!.refreshSession.session).toMatchObject({ id: login.session.id, status: 'ACTIVE', deviceBound: true });
    expect(decodeJwt(real.data!.refreshSession.tokens.accessToken).cnf).toEqual({ jkt: key.thumbprint });
  });

  it('does not let a copy of a bound session’s tokens sign the device out through /oauth/revoke', async () => {
    const key = await DeviceKey.create();
    const login = await boundLogin(key);
    const revoke = (token: string) =>
      fetch(`${app.baseUrl}/oauth/revoke`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token }),
      });

    expect((await revoke(login.tokens.refreshToken)).status).toBe(200);
    expect((await revoke(login.tokens.accessToken)).status).toBe(200);

    const token = login.tokens.accessToken;
    expect((await post(ME, {}, { token, proof: await proofFor(key, { accessToken: token }) })).data?.me.id).toBe(user.id);
    const withKey = await fetch(`${app.baseUrl}/oauth/revoke`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        dpop: await key.proof(app.clock.now(), 'POST', `${app.baseUrl}/oauth/revoke`),
      },
      body: new URLSearchParams({ token: login.tokens.refreshToken }),
    });
    expect(withKey.status).toBe(200);
    expect((await post(ME, {}, { token, proof: await proofFor(key, { accessToken: token }) })).errors?.[0].extensions.code).toBe(
      'SESSION_REVOKED',
    );
  });

  it('forgets the device’s key when the device is untrusted, so it binds again only through a fresh login', async () => {
    const key = await DeviceKey.create();
    const device = deviceInput();
    const login = await boundLogin(key, device);
    const keyOf = async (deviceId: string) => {
      const rows = await app.tessera.app
        .get(DataSource)
        .query<{ dpop_jkt: string | null }[]>(`SELECT dpop_jkt FROM devices WHERE id = $1`, [deviceId]);
      return rows[0].dpop_jkt;
    };
    expect(await keyOf(login.session.device.id)).toBe(key.thumbprint);

    const other = await app.graphql.data(CREATE_SESSION, { input: { email: user.email, password: PASSWORD, device: deviceInput() } });
    await app.graphql.data(UNTRUST_DEVICE, { id: login.session.device.id }, other.createSession.tokens.accessToken);

    expect(await keyOf(login.session.device.id)).toBeNull();
    const token = login.tokens.accessToken;
    expect((await post(ME, {}, { token, proof: await proofFor(key, { accessToken: token }) })).errors?.[0].extensions.code).toBe(
      'SESSION_REVOKED',
    );
    const again = await boundLogin(key, device);
    expect(again.session).toMatchObject({ deviceBound: true, device: { id: login.session.device.id } });
    expect(await keyOf(login.session.device.id)).toBe(key.thumbprint);
  });

  it('keeps bearer sessions as they were, and refuses an unbound token sent as DPoP', async () => {
    const bearer = await app.graphql.data(CREATE_SESSION, { input: { email: user.email, password: PASSWORD, device: deviceInput() } });
    const { tokens, session } = bearer.createSession;
    expect(tokens.tokenType).toBe('Bearer');
    expect(decodeJwt(tokens.accessToken).cnf).toBeUndefined();
    expect((await post(`query { me { id } }`, {}, { token: tokens.accessToken, scheme: 'Bearer' })).data?.me.id).toBe(user.id);
    expect((await post(ME, {}, { token: tokens.accessToken })).errors?.[0].extensions.code).toBe('INVALID_DPOP_PROOF');
    const sessionOf = await post(
      `query($id: ID!) { session(id: $id) { deviceBound } }`,
      { id: session.id },
      { token: tokens.accessToken, scheme: 'Bearer' },
    );
    expect(sessionOf.data?.session.deviceBound).toBe(false);
  });

  it('tells other services the binding: introspection answers token_type DPoP and cnf.jkt', async () => {
    const key = await DeviceKey.create('EdDSA');
    const login = await boundLogin(key);
    const response = await fetch(`${app.baseUrl}/oauth/introspect`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ token: login.tokens.accessToken }),
    });
    expect(await response.json()).toMatchObject({ active: true, token_type: 'DPoP', cnf: { jkt: key.thumbprint } });
  });

  it('checks the binding at connection_init on graphql-ws', async () => {
    const key = await DeviceKey.create();
    const login = await boundLogin(key);
    const token = login.tokens.accessToken;
    const wsUrl = app.graphql.url.replace(/^http/, 'ws');
    const connect = (params: Record<string, unknown>) =>
      new Promise<{ code?: number; me?: string }>((resolve) => {
        const client = createClient({
          url: wsUrl,
          webSocketImpl: WebSocket,
          connectionParams: params,
          retryAttempts: 0,
          lazy: false,
          onNonLazyError: () => undefined,
          on: { closed: (event) => resolve({ code: (event as { code?: number }).code }) },
        });
        sockets.push(client);
        client.subscribe<{ me: { id: string } }>(
          { query: '{ me { id } }' },
          { next: (result) => resolve({ me: result.data?.me.id }), error: () => undefined, complete: () => undefined },
        );
      });

    expect(
      await connect({ authorization: `DPoP ${token}`, dpop: await key.proof(app.clock.now(), 'GET', wsUrl, { accessToken: token }) }),
    ).toEqual({
      me: user.id,
    });
    expect(await connect({ authorization: `DPoP ${token}` })).toEqual({ code: 4401 });
    expect(await connect({ authorization: `Bearer ${token}` })).toEqual({ code: 4401 });
  });

  it('accepts a fresh proof by the device key as step-up (Face ID on the phone): amr hwk, logged as device_key', async () => {
    const key = await DeviceKey.create();
    const login = await boundLogin(key);
    app.clock.advance(11 * MINUTE);
    const token = login.tokens.accessToken;
    const refused = await post(
      TRUST_DEVICE,
      { id: login.session.device.id },
      { token, proof: await proofFor(key, { accessToken: token }) },
    );
    expect(refused.errors?.[0].extensions.code).toBe('REAUTHENTICATION_REQUIRED');

    const withoutNonce = await post(REAUTHENTICATE, { input: {} }, { token, proof: await proofFor(key, { accessToken: token }) });
    expect(withoutNonce.errors?.[0].extensions).toMatchObject({ code: 'INVALID_DPOP_PROOF', nonce: expect.any(String) });
    const stepUp = await post(
      REAUTHENTICATE,
      { input: {} },
      { token, proof: await proofFor(key, { accessToken: token, nonce: withoutNonce.nonce! }) },
    );

    expect(stepUp.errors).toBeUndefined();
    const fresh = stepUp.data!.reauthenticate.tokens.accessToken as string;
    expect(decodeJwt(fresh)).toMatchObject({
      amr: ['hwk'],
      cnf: { jkt: key.thumbprint },
      auth_time: Math.floor(app.clock.now().getTime() / 1000),
    });
    const trusted = await post(
      TRUST_DEVICE,
      { id: login.session.device.id },
      { token: fresh, proof: await proofFor(key, { accessToken: fresh }) },
    );
    expect(trusted.errors).toBeUndefined();
    const log = (await post(ACTIVITY, { first: 20 }, { token: fresh, proof: await proofFor(key, { accessToken: fresh }) })).data!
      .sessionActivity.edges as {
      node: { type: string; details: Record<string, unknown> | null };
    }[];
    expect(log.find((edge) => edge.node.type === 'REAUTHENTICATED')?.node.details).toEqual({ method: 'device_key' });
  });
});
