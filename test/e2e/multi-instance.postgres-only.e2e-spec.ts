import { randomBytes, randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { decodeProtectedHeader } from 'jose';
import { TokenKeyStore } from '../../src/modules/token/domain/token-key-store.js';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { deviceInput, login, refresh, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { ACTIVE_SESSIONS, CREATE_SESSION, ME, REFRESH_SESSION, REVOKE_SESSION, SET_USER_ROLES } from '../helpers/operations.js';
import { DeviceKey } from '../helpers/device-key.js';
import { rest } from '../helpers/rest-client.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';
import { EventListener } from '../helpers/ws-client.js';

interface Instance {
  readonly tessera: TesseraApp;
  readonly baseUrl: string;
  readonly graphql: GraphQLTestClient;
}

/**
 * Two instances of the service, as two deployments would run them: one PostgreSQL database,
 * one Redis (reached through a proxy the test can cut), the same DATA_ENCRYPTION_KEY.
 */
describe('several instances on PostgreSQL and Redis', () => {
  let database: TestDatabase;
  let redis: TcpProxy;
  let a: Instance;
  let b: Instance;
  let user: TestUser;
  const listeners: EventListener[] = [];

  const start = async (env: Record<string, string>): Promise<Instance> => {
    const tessera = await createTesseraApp(loadConfig(env));
    await tessera.app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(tessera.app.getHttpServer().address() as AddressInfo).port}`;
    return { tessera, baseUrl, graphql: new GraphQLTestClient(`${baseUrl}/graphql`) };
  };
  const listenOn = async (instance: Instance, accessToken: string) => {
    const listener = new EventListener(instance.graphql.url, accessToken);
    listeners.push(listener);
    return listener.subscribe();
  };

  beforeAll(async () => {
    database = await createTestDatabase();
    const redisUrl = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
    redis = new TcpProxy(redisUrl.hostname, Number(redisUrl.port || 6379));
    await redis.start();
    const env = {
      ...database.env,
      REDIS_URL: `redis://127.0.0.1:${redis.port}`,
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'silent',
      // Redis keeps the per-address registration count for an hour, across test runs.
      REGISTRATION_RATE_LIMIT: '100000',
    };
    // Both at the same moment, on a database nobody has migrated yet.
    [a, b] = await Promise.all([start(env), start(env)]);
    user = await registerUser(a.graphql);
  });

  afterAll(async () => {
    await Promise.all(listeners.map((listener) => listener.dispose()));
    await redis.restore();
    await Promise.all([a?.tessera.close(), b?.tessera.close()]);
    await redis.cut();
    await database.drop();
  });

  it('both came up on a fresh database: migrated once, one shared signing key', async () => {
    const db = a.tessera.app.get(DataSource);
    const [{ migrations }] = await db.query(`SELECT count(*)::int AS migrations FROM migrations`);
    expect(migrations).toBe(db.migrations.length);
    const [{ keys }] = await db.query(`SELECT count(*)::int AS keys FROM signing_keys`);
    expect(keys).toBe(1);
    const session = await login(a.graphql, user);
    await expect(b.graphql.data(ME, {}, session.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
    const jwksA = await rest(a.baseUrl, 'GET', '/.well-known/jwks.json');
    const jwksB = await rest(b.baseUrl, 'GET', '/.well-known/jwks.json');
    expect(jwksA.body).toEqual(jwksB.body);
  });

  it('delivers an event of a revocation on B to a subscriber on A, and A refuses the token within a second', async () => {
    const laptop = await login(a.graphql, user);
    const phone = await login(a.graphql, user);
    await a.graphql.data(ME, {}, phone.tokens.accessToken); // now in A's session cache
    const listener = await listenOn(a, laptop.tokens.accessToken);

    const revokedAt = Date.now();
    await b.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    await listener.until(() => !!listener.eventOf('SESSION_REVOKED', phone.session.id), 1_000);
    let code: string | undefined;
    while (Date.now() - revokedAt < 1_000) {
      const result = await a.graphql.request(ME, {}, phone.tokens.accessToken);
      code = result.errors?.[0]?.extensions.code;
      if (code) break;
    }
    expect(code).toBe('SESSION_REVOKED');
    expect(Date.now() - revokedAt).toBeLessThan(1_000);
  });

  it('takes administrator rights from a session cached on A within a second of a demotion on B', async () => {
    const [root, deputy] = [await registerUser(a.graphql), await registerUser(a.graphql)];
    await a.tessera.app.get(DataSource).query(`UPDATE users SET roles = '{USER,ADMIN}' WHERE id = ANY ($1)`, [[root.id, deputy.id]]);
    const rootSession = await login(b.graphql, root);
    const deputySession = await login(a.graphql, deputy);
    const adminOnly = { userId: root.id };
    // Now in A's session cache, with ADMIN, for SESSION_STATE_TTL (5 s).
    expect((await a.graphql.request(ACTIVE_SESSIONS, adminOnly, deputySession.tokens.accessToken)).errors).toBeUndefined();

    const demotedAt = Date.now();
    await b.graphql.data(SET_USER_ROLES, { id: deputy.id, roles: ['USER'] }, rootSession.tokens.accessToken);
    let code: string | undefined;
    while (Date.now() - demotedAt < 1_000) {
      code = (await a.graphql.request(ACTIVE_SESSIONS, adminOnly, deputySession.tokens.accessToken)).errors?.[0]?.extensions.code;
      if (code) break;
    }
    expect(code).toBe('FORBIDDEN');
    expect(Date.now() - demotedAt).toBeLessThan(1_000);
  });

  it('binds a session with a nonce from A on B, and refuses on B a DPoP proof already used on A (one replay record in Redis)', async () => {
    const key = await DeviceKey.create();
    const login = (instance: Instance, proof: string) =>
      fetch(instance.graphql.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', dpop: proof },
        body: JSON.stringify({
          query: CREATE_SESSION,
          variables: { input: { email: user.email, password: user.password, device: deviceInput() } },
        }),
      });
    const nonce = (await login(a, await key.proof(new Date(), 'POST', a.graphql.url))).headers.get('dpop-nonce')!;
    const bound = (await (await login(b, await key.proof(new Date(), 'POST', b.graphql.url, { nonce }))).json()) as {
      data: { createSession: { tokens: { accessToken: string } } };
    };
    const token = bound.data.createSession.tokens.accessToken;
    const me = (instance: Instance, proof: string) =>
      fetch(instance.graphql.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `DPoP ${token}`, dpop: proof },
        body: JSON.stringify({ query: ME }),
      }).then((response) => response.json() as Promise<{ data?: { me: { id: string } }; errors?: { extensions: { code: string } }[] }>);
    // One proof, aimed at both (htu is the same path; only the port differs, so each is made for its own URL with one jti).
    const jti = randomUUID();
    expect((await me(a, await key.proof(new Date(), 'POST', a.graphql.url, { accessToken: token, jti }))).data?.me.id).toBe(user.id);
    const replayed = await me(b, await key.proof(new Date(), 'POST', b.graphql.url, { accessToken: token, jti }));
    expect(replayed.errors?.[0].extensions.code).toBe('INVALID_DPOP_PROOF');
  });

  it('closes a subscriber’s socket on A when its session is revoked on B', async () => {
    const phone = await login(a.graphql, user);
    const laptop = await login(b.graphql, user);
    const listener = await listenOn(a, phone.tokens.accessToken);
    await b.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    await listener.until(() => listener.closeCode === 4403, 1_500);
    expect(listener.eventOf('SESSION_REVOKED', phone.session.id)).toBeTruthy();
  });

  it('publishes an event committed on an instance that stopped before relaying it, through the other instance’s relay', async () => {
    const laptop = await login(b.graphql, user);
    const phone = await login(a.graphql, user);
    const listener = await listenOn(b, laptop.tokens.accessToken);
    // A stops between commit and publication, as a process killed there would.
    a.tessera.app.get(SessionEventRelay).hold(true);
    try {
      await a.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
      // B's relay finds the row on its next poll (OUTBOX_POLL_INTERVAL).
      await listener.until(() => !!listener.eventOf('SESSION_REVOKED', phone.session.id), 3_000);
    } finally {
      a.tessera.app.get(SessionEventRelay).hold(false);
    }
    expect(listener.events.filter((event) => event.type === 'SESSION_REVOKED' && event.sessionId === phone.session.id)).toHaveLength(1);
  });

  it('gives 20 concurrent refreshes of one token spread over both instances one successor', async () => {
    const { tokens, session } = await login(a.graphql, user);
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).graphql.request(REFRESH_SESSION, { input: { refreshToken: tokens.refreshToken } }),
      ),
    );
    expect(results.flatMap((result) => result.errors ?? [])).toEqual([]);
    expect(new Set(results.map((result) => result.data!.refreshSession.tokens.refreshToken)).size).toBe(1);
    // One successor stored, on the session row (generation 1), and no row per token.
    const [stored] = await a.tessera.app
      .get(DataSource)
      .query(
        `SELECT refresh_generation AS generation, (SELECT count(*)::int FROM refresh_tokens WHERE session_id = $1) AS "tokenRows" FROM sessions WHERE id = $1`,
        [session.id],
      );
    expect(stored).toEqual({ generation: 1, tokenRows: 0 });
  });

  it('picks up a key rotated on another instance without a restart', async () => {
    const kid = await a.tessera.app.get(TokenKeyStore).rotate();
    let signedByB: string | undefined;
    for (let waited = 0; waited < 2_000 && signedByB !== kid; waited += 50) {
      signedByB = decodeProtectedHeader((await login(b.graphql, user)).tokens.accessToken).kid;
      if (signedByB !== kid) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(signedByB).toBe(kid);
  });

  it('keeps serving without Redis, says so in readiness, and carries events again once Redis is back', async () => {
    const laptop = await login(a.graphql, user);
    expect((await rest(a.baseUrl, 'GET', '/health/ready')).body.details.redis).toEqual({ status: 'up' });

    await redis.cut();
    const localListener = await listenOn(a, laptop.tokens.accessToken);
    const phone = await login(a.graphql, user); // logins, requests and local events go on
    await localListener.until(() => !!localListener.eventOf('SESSION_CREATED', phone.session.id));
    await expect(b.graphql.data(ME, {}, phone.tokens.accessToken)).resolves.toBeTruthy();
    const degraded = await rest(a.baseUrl, 'GET', '/health/ready');
    expect(degraded.status).toBe(200);
    expect(degraded.body).toMatchObject({ status: 'degraded', details: { redis: { status: 'down' } } });

    await redis.restore();
    const ready = async () =>
      (await rest(a.baseUrl, 'GET', '/health/ready')).body.status === 'ok' &&
      (await rest(b.baseUrl, 'GET', '/health/ready')).body.status === 'ok';
    for (let waited = 0; !(await ready()); waited += 100) {
      if (waited > 10_000) throw new Error('Redis did not come back within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const remoteListener = await listenOn(b, laptop.tokens.accessToken);
    const tablet = await login(a.graphql, user);
    await remoteListener.until(() => !!remoteListener.eventOf('SESSION_CREATED', tablet.session.id), 2_000);
    await refresh(b.graphql, tablet.tokens.refreshToken);
  });

  it('sends what changed while Redis was away once it is back: every event, in version order, once', async () => {
    // What the test before left in the outbox while Redis was away goes out first: a subscription
    // without `since` takes whatever is relayed after it opens, and this one counts versions.
    const unsent = async () =>
      (await a.tessera.app.get(DataSource).query<{ n: number }[]>(`SELECT count(*)::int AS n FROM session_outbox WHERE sent_at IS NULL`))[0]
        .n;
    for (let waited = 0; (await unsent()) > 0; waited += 100) {
      if (waited > 10_000) throw new Error('the outbox was not sent within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const laptop = await login(a.graphql, user);
    const remote = await listenOn(b, laptop.tokens.accessToken);
    const local = await listenOn(a, laptop.tokens.accessToken);
    await redis.cut();
    const phones: LoginResult[] = [];
    for (let i = 0; i < 3; i++) phones.push(await login(a.graphql, user));
    await a.graphql.data(REVOKE_SESSION, { id: phones[0].session.id }, laptop.tokens.accessToken);
    await local.until(() => !!local.eventOf('SESSION_REVOKED', phones[0].session.id));

    await redis.restore();
    await remote.until(() => !!remote.eventOf('SESSION_REVOKED', phones[0].session.id), 10_000);
    const versions = remote.events.map((event) => event.version);
    expect(versions).toEqual(local.events.map((event) => event.version));
    expect(versions).toEqual(Array.from({ length: versions.length }, (_, i) => versions[0] + i));
    expect(remote.events.filter((event) => event.type === 'SESSION_CREATED').map((event) => event.sessionId)).toEqual(
      phones.map((phone) => phone.session.id),
    );
  });
});
