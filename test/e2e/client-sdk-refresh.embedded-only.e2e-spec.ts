import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { EncryptedFileTokenStore } from '../../client/src/node.js';
import { TesseraError } from '../../client/src/index.js';
import { login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { clientFor, eventually, sdkDevice, refreshesSeenByService } from '../helpers/client-sdk.js';
import { DroppingHttpProxy } from '../helpers/dropping-http-proxy.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { SESSION } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * The SDK's TokenRefresher and SessionClient against the real service. Access tokens live 15
 * minutes and sessions idle out after 30: the app's clock is the service's ManualClock, so
 * `app.clock.advance` moves both, and nobody waits.
 */
describe('client SDK: staying signed in', () => {
  let app: TestApp;
  let user: TestUser;
  const loginAs = (client: ReturnType<typeof clientFor>['client']) =>
    client.login({ email: user.email, password: user.password, device: sdkDevice({ type: 'DESKTOP', name: 'SDK test' }) });
  const refreshTokenIn = async (store: { read(): Promise<{ refreshToken: string } | null> }) => (await store.read())?.refreshToken;

  beforeAll(async () => {
    app = await startTestApp({ ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TIMEOUT: '30m' });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('renews a nearly expired access token once for ten concurrent requests', async () => {
    const { client, recorder } = clientFor(app);
    await loginAs(client);
    await client.me();
    const before = await refreshesSeenByService(app);

    app.clock.advance(13 * MINUTE); // past 80 % of the 15-minute lifetime, not yet expired
    const answers = await Promise.all(Array.from({ length: 10 }, () => client.me()));

    expect(answers.map((me) => me.email)).toEqual(Array(10).fill(user.email));
    expect(recorder.count('TesseraRefresh')).toBe(1);
    expect((await refreshesSeenByService(app)) - before).toBe(1);
    client.close();
  });

  it('keeps the session when a refresh answer is lost: the retry gets the same successor', async () => {
    const proxy = new DroppingHttpProxy(app.baseUrl);
    await proxy.start();
    try {
      const { client, store, recorder, signedOut } = clientFor(app, { baseUrl: proxy.baseUrl });
      await loginAs(client);
      await client.me();
      const parent = await refreshTokenIn(store);

      app.clock.advance(13 * MINUTE);
      proxy.dropResponses((body) => body.includes('refreshSession'));
      await expect(client.me()).resolves.toMatchObject({ email: user.email });

      expect(proxy.dropped).toHaveLength(1);
      const lostSuccessor = JSON.parse(proxy.dropped[0].responseBody).data.refreshSession.tokens.refreshToken as string;
      expect(lostSuccessor).not.toBe(parent);
      expect(await refreshTokenIn(store)).toBe(lostSuccessor);
      expect(recorder.count('TesseraRefresh')).toBe(2);
      expect(signedOut).toEqual([]);

      // The successor was taken up: the next renewal rotates it like any other, and the session lives on.
      app.clock.advance(13 * MINUTE);
      const sessions = await client.activeSessions();
      expect(sessions.map((session) => session.id)).toContain(client.currentSessionId);
      expect(await refreshTokenIn(store)).not.toBe(lostSuccessor);
      client.close();
    } finally {
      await proxy.close();
    }
  });

  it('renews ahead of expiry from its timer while the app is in use', async () => {
    const { client, recorder } = clientFor(app, { refreshCheckIntervalMs: 20 });
    await loginAs(client);
    app.clock.advance(5 * MINUTE);
    client.refresher.noteActivity(); // the user taps around; no request needed
    app.clock.advance(8 * MINUTE);

    await eventually(() => client.refresher.refreshes === 1, 2_000, 'the timer to renew the token');
    expect(recorder.count('TesseraRefresh')).toBe(1);
    expect(client.refresher.refreshDueAt).toBeGreaterThan(app.clock.now().getTime());
    client.close();
  });

  it('does not renew an idle app, so the service’s idle timeout ends its session', async () => {
    const { client, store, recorder, signedOut } = clientFor(app);
    const { session } = await loginAs(client);
    const before = await refreshesSeenByService(app);

    app.clock.advance(13 * MINUTE);
    expect(await client.refresher.refreshIfDue()).toBe(false);
    app.clock.advance(18 * MINUTE); // 31 minutes without a request
    expect(await client.refresher.refreshIfDue()).toBe(false);
    expect(recorder.count('TesseraRefresh')).toBe(0);
    expect((await refreshesSeenByService(app)) - before).toBe(0);

    // The user comes back: the service refuses the session, and the app is signed out.
    const failure = await client.me().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(TesseraError);
    expect((failure as TesseraError).code).toBe('SESSION_EXPIRED');
    expect(signedOut).toEqual(['SESSION_EXPIRED']);
    expect(await store.read()).toBeNull();
    expect(client.currentSessionId).toBeNull();
    const other = await login(app.graphql, user);
    const ended = await app.graphql.data(SESSION, { id: session.id }, other.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'EXPIRED', endReason: 'IDLE_TIMEOUT' });
  });

  it('renews and resends once when the service calls its access token expired (a device clock running slow)', async () => {
    let skewMs = 0;
    const { client, recorder } = clientFor(app, { now: () => app.clock.now().getTime() - skewMs });
    await loginAs(client);
    await client.me();

    app.clock.advance(16 * MINUTE);
    skewMs = 16 * MINUTE; // the device still thinks the token is fresh
    await expect(client.me()).resolves.toMatchObject({ email: user.email });
    expect(recorder.count('TesseraRefresh')).toBe(1);

    app.clock.advance(16 * MINUTE);
    skewMs += 16 * MINUTE;
    const response = await client.fetch(`${app.baseUrl}/api/auth/session/active`);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { sessions: { id: string }[] };
    expect(body.sessions.map((session) => session.id)).toContain(client.currentSessionId);
    expect(recorder.count('TesseraRefresh')).toBe(2);
    client.close();
  });

  it('clears the store and signs out when a stolen refresh token is detected', async () => {
    const { client, store, signedOut } = clientFor(app);
    await loginAs(client);
    const stolen = (await refreshTokenIn(store))!;
    const thief = await refresh(app.graphql, stolen);
    await refresh(app.graphql, thief.tokens.refreshToken);
    app.clock.advance(13 * MINUTE);

    await expect(client.me()).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
    expect(signedOut).toEqual(['REFRESH_TOKEN_REUSED']);
    expect(await store.read()).toBeNull();
  });

  it('logs out on the service and locally', async () => {
    const { client, store, signedOut } = clientFor(app);
    const { session } = await loginAs(client);
    await client.logout();

    expect(signedOut).toEqual(['LOGOUT']);
    expect(await store.read()).toBeNull();
    await expect(client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    const other = await login(app.graphql, user);
    const ended = await app.graphql.data(SESSION, { id: session.id }, other.tokens.accessToken);
    expect(ended.session).toMatchObject({ status: 'REVOKED', endReason: 'LOGOUT' });
  });

  it('signs out at once when it ends its own session through its device or everywhere', async () => {
    const first = clientFor(app);
    await loginAs(first.client);
    await first.client.untrustDevice(first.client.currentDeviceId!);
    expect(first.signedOut).toEqual(['SESSION_REVOKED']);
    expect(await first.store.read()).toBeNull();

    const second = clientFor(app);
    await loginAs(second.client);
    expect(await second.client.revokeAllSessions({ exceptCurrent: false })).toBeGreaterThanOrEqual(1);
    expect(second.signedOut).toEqual(['SESSION_REVOKED']);
    expect(await second.store.read()).toBeNull();
  });

  it('restores a session from an encrypted file after a restart, and forgets one the service ended', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'tessera-sdk-'));
    try {
      const path = join(directory, 'nested', 'session.bin');
      const key = randomBytes(32);
      const first = clientFor(app, { store: new EncryptedFileTokenStore({ path, key }) });
      await loginAs(first.client);
      first.client.close();

      const onDisk = await readFile(path);
      expect(onDisk.toString('latin1')).not.toContain('tsr_');
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await new EncryptedFileTokenStore({ path, key: randomBytes(32) }).read()).toBeNull();

      const restarted = clientFor(app, { store: new EncryptedFileTokenStore({ path, key }) });
      expect(await restarted.client.restore()).toBe(true);
      expect(restarted.client.currentSessionId).toBe(first.client.currentSessionId);
      await expect(restarted.client.me()).resolves.toMatchObject({ email: user.email });
      restarted.client.close();

      const other = await login(app.graphql, user);
      await app.graphql.data(
        `mutation($id: ID!) { revokeSession(sessionId: $id) { id } }`,
        { id: restarted.client.currentSessionId },
        other.tokens.accessToken,
      );
      const afterRevoke = clientFor(app, { store: new EncryptedFileTokenStore({ path, key }) });
      expect(await afterRevoke.client.restore()).toBe(false);
      expect(afterRevoke.signedOut).toEqual(['SESSION_REVOKED']);
      await expect(stat(path)).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });

  it('reports the service’s error codes, with the wait for RATE_LIMITED', async () => {
    const victim = await registerUser(app.graphql);
    const { client } = clientFor(app);
    const attempt = () =>
      client
        .login({ email: victim.email, password: 'wrong password, surely', device: sdkDevice() })
        .catch((error: unknown) => error as TesseraError);

    expect(await attempt()).toMatchObject({ code: 'INVALID_CREDENTIALS' });
    for (let i = 0; i < 5; i++) await attempt();
    const limited = (await attempt()) as TesseraError;
    expect(limited).toBeInstanceOf(TesseraError);
    expect(limited.code).toBe('RATE_LIMITED');
    expect(limited.retryAfterSeconds).toBeGreaterThan(0);

    const unreachable = clientFor(app, { baseUrl: 'http://127.0.0.1:9' });
    await expect(unreachable.client.login({ email: user.email, password: user.password, device: sdkDevice() })).rejects.toMatchObject({
      code: 'NETWORK_ERROR',
    });
  });

  it('never shows a token when the client or its store is logged', async () => {
    const { client, store } = clientFor(app);
    await loginAs(client);
    const refreshToken = (await refreshTokenIn(store))!;
    const printed = [
      inspect(client, { depth: 10, showHidden: true }),
      inspect(store, { depth: 10, showHidden: true }),
      JSON.stringify(client.refresher),
    ];
    for (const text of printed) {
      expect(text).not.toContain(refreshToken);
      expect(text).not.toMatch(/eyJ[\w-]+\.[\w-]+\./); // no JWT
    }
    client.close();
  });
});
