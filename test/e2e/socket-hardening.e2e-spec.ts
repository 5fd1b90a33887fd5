import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { deviceInput, login, registerUser, type TestUser } from '../factories/session.factory.js';
import { ACTIVE_SESSIONS, ACTIVITY, CREATE_SESSION, ME, REVOKE_SESSION } from '../helpers/operations.js';
import { MINUTE, SECOND } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { closedWithin, GraphQLSocket, type SocketOptions } from '../helpers/graphql-ws-socket.js';
import { SESSION_EVENTS } from '../helpers/ws-client.js';

/** Every rule HTTP applies holds on graphql-ws too (queries and mutations travel over it as well). */
describe('graphql-ws under the same rules as HTTP', () => {
  let app: TestApp;
  let user: TestUser;
  const sockets: GraphQLSocket[] = [];
  const open = async (accessToken: string, options?: SocketOptions) => {
    const socket = new GraphQLSocket(app.graphql.url, accessToken, options);
    sockets.push(socket);
    await Promise.race([socket.connected, socket.closed]);
    return socket;
  };
  const db = () => app.tessera.app.get(DataSource);

  beforeAll(async () => {
    app = await startTestApp({
      SESSION_STATE_TTL: '1s',
      TRUST_PROXY: 'loopback',
      WS_MAX_CONNECTIONS_PER_SESSION: '2',
      WS_MAX_CONNECTIONS_PER_USER: '3',
      WS_MAX_SUBSCRIPTIONS_PER_CONNECTION: '2',
    });
    user = await registerUser(app.graphql);
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((socket) => socket.dispose()));
  });
  afterAll(() => app.close());

  describe('an access token that expires while its socket is open', () => {
    it('refuses the next operation with TOKEN_EXPIRED and closes the socket with 4401', async () => {
      const { tokens } = await login(app.graphql, user);
      const socket = await open(tokens.accessToken);
      expect((await socket.request(ME)).data?.me.id).toBe(user.id);

      app.clock.advance(15 * MINUTE + 10 * SECOND);
      const refused = await socket.request(ME);
      expect(refused.errors?.[0]?.extensions.code).toBe('TOKEN_EXPIRED');
      expect(await closedWithin(socket, 2_000)).toBe(4401);
    });

    it('closes an idle socket with 4401 once its token has expired, without any operation', async () => {
      const { tokens } = await login(app.graphql, user);
      const socket = await open(tokens.accessToken);
      app.clock.advance(15 * MINUTE + 10 * SECOND);
      // Open sockets are re-checked every SESSION_STATE_TTL (1 s here).
      expect(await closedWithin(socket, 5_000)).toBe(4401);
    });
  });

  it('closes a socket whose session ended even when no bus message announced the end (4403)', async () => {
    const { tokens, session } = await login(app.graphql, user);
    const socket = await open(tokens.accessToken);
    // Ended behind the service's back: no event, no bus message, as if Redis had dropped it.
    await db().query(`UPDATE sessions SET status = 'REVOKED', end_reason = 'REVOKED_BY_ADMIN', ended_at = now() WHERE id = $1`, [
      session.id,
    ]);
    expect(await closedWithin(socket, 5_000)).toBe(4403);
  });

  it('records the client address and user agent of the socket, by the same TRUST_PROXY rules as HTTP', async () => {
    const laptop = await login(app.graphql, user);
    const phone = await login(app.graphql, user);
    const socket = await open(laptop.tokens.accessToken, { headers: { 'x-forwarded-for': '203.0.113.7' } });
    const revoked = await socket.request(REVOKE_SESSION, { id: phone.session.id });
    expect(revoked.errors).toBeUndefined();
    await app.settled();

    const activity = await app.graphql.data(ACTIVITY, { first: 10, filter: { types: ['SESSION_REVOKED'] } }, laptop.tokens.accessToken);
    const entry = activity.sessionActivity.edges
      .map((edge: { node: Record<string, unknown> }) => edge.node)
      .find((node: Record<string, unknown>) => node.sessionId === phone.session.id);
    expect(entry).toMatchObject({ ipAddress: '203.0.113.7', userAgent: 'tessera-e2e-socket/1.0' });
  });

  it('answers createSession, refreshSession and register over HTTP only, with a clear refusal on the socket', async () => {
    const { tokens } = await login(app.graphql, user);
    const socket = await open(tokens.accessToken);
    const result = await socket.request(CREATE_SESSION, { input: { email: user.email, password: user.password, device: deviceInput() } });
    expect(result.errors?.[0]).toMatchObject({
      message: 'createSession is answered over HTTP only: send it as POST /graphql, not over the socket.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('gives errors the same code and message as HTTP, and applies the same query limits', async () => {
    const { tokens } = await login(app.graphql, user);
    const socket = await open(tokens.accessToken);
    const unknownSession = { id: '00000000-0000-4000-8000-000000000000' };
    const overHttp = await app.graphql.request(REVOKE_SESSION, unknownSession, tokens.accessToken);
    const overSocket = await socket.request(REVOKE_SESSION, unknownSession);
    expect(overHttp.errors?.[0]?.extensions.code).toBe('NOT_FOUND');
    expect(overSocket.errors?.[0]).toMatchObject({ message: overHttp.errors![0].message, extensions: { code: 'NOT_FOUND' } });

    const tooDeep = `{ me { id } __schema { types { fields { type { fields { type { fields { type { fields { type { name } } } } } } } } } } }`;
    const deepOverSocket = await socket.request(tooDeep);
    expect(deepOverSocket.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');

    const typo = await socket.request(`{ mee { id } }`);
    const typoOverHttp = await app.graphql.request(`{ mee { id } }`, {}, tokens.accessToken);
    expect(typo.errors?.[0]).toMatchObject({ message: typoOverHttp.errors![0].message, extensions: { code: 'BAD_USER_INPUT' } });
    expect(typo.errors?.[0]?.message).not.toContain('Did you mean');
  });

  describe('caps', () => {
    it('refuses a connection beyond WS_MAX_CONNECTIONS_PER_SESSION with 4429', async () => {
      const { tokens } = await login(app.graphql, user);
      await open(tokens.accessToken);
      await open(tokens.accessToken);
      const third = await open(tokens.accessToken);
      expect(await closedWithin(third, 2_000)).toBe(4429);
      expect(third.closeReason).toBe('At most 2 connections per session');
    });

    it('refuses a connection beyond WS_MAX_CONNECTIONS_PER_USER with 4429, whatever the sessions', async () => {
      const other = await registerUser(app.graphql);
      const sessions = await Promise.all([1, 2].map(() => login(app.graphql, other)));
      await open(sessions[0].tokens.accessToken);
      await open(sessions[0].tokens.accessToken);
      await open(sessions[1].tokens.accessToken);
      const fourth = await open(sessions[1].tokens.accessToken);
      expect(await closedWithin(fourth, 2_000)).toBe(4429);
      expect(fourth.closeReason).toBe('At most 3 connections per user');
    });

    it('frees a place when a connection closes', async () => {
      const { tokens } = await login(app.graphql, user);
      const first = await open(tokens.accessToken);
      await open(tokens.accessToken);
      await first.dispose();
      const again = await open(tokens.accessToken);
      expect((await again.request(ME)).data?.me.id).toBe(user.id);
    });

    it('refuses an operation beyond WS_MAX_SUBSCRIPTIONS_PER_CONNECTION while the others run on', async () => {
      const { tokens } = await login(app.graphql, user);
      const socket = await open(tokens.accessToken);
      const results: unknown[] = [];
      socket.listen(SESSION_EVENTS, (result) => results.push(result));
      socket.listen(SESSION_EVENTS, (result) => results.push(result));
      const third = await socket.request(ACTIVE_SESSIONS);
      expect(third.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
      expect(third.errors?.[0]?.message).toBe('At most 2 operations may run at once on one connection.');
      expect(socket.closeCode).toBeUndefined();
    });
  });
});

describe('roles are read from the database, not only from the token', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp({ SESSION_STATE_TTL: '1s', ADMIN_EMAIL: 'chief@example.com', ADMIN_PASSWORD: 'a long admin password' });
  });
  afterAll(() => app.close());

  it('refuses admin rights to a demoted administrator whose access token still says ADMIN', async () => {
    const admin = await login(app.graphql, { id: '', email: 'chief@example.com', password: 'a long admin password' });
    const someone = await registerUser(app.graphql);
    await login(app.graphql, someone);
    expect((await app.graphql.data(ACTIVE_SESSIONS, { userId: someone.id }, admin.tokens.accessToken)).activeSessions).toHaveLength(1);

    await app.tessera.app.get(DataSource).query(`UPDATE users SET roles = '{USER}' WHERE id = $1`, [admin.user.id]);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect(await app.graphql.errorCode(ACTIVE_SESSIONS, { userId: someone.id }, admin.tokens.accessToken)).toBe('FORBIDDEN');
  });
});
