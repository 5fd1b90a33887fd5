import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import type { SessionClient, SessionEvent, SessionSync } from '../../client/src/index.js';
import { SessionSweeper } from '../../src/modules/session/domain/session-sweeper.js';
import { registerUser, type TestUser } from '../factories/session.factory.js';
import { clientFor, eventually, sdkDevice, syncFor, type ClientUnderTest } from '../helpers/client-sdk.js';
import { WebSocketControl } from '../helpers/controllable-web-socket.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * SessionSync over real graphql-ws: two or three "devices" of one user, each a SessionClient
 * with its own store, watching each other.
 */
describe('client SDK: every device in sync', () => {
  let app: TestApp;
  let user: TestUser;
  const running: { client: SessionClient; sync?: SessionSync }[] = [];

  const device = async (name: string): Promise<ClientUnderTest> => {
    const handle = clientFor(app);
    await handle.client.login({ email: user.email, password: user.password, device: sdkDevice({ name, type: 'ANDROID' }) });
    running.push({ client: handle.client });
    return handle;
  };
  const syncing = async (handle: ClientUnderTest, webSocketImpl?: unknown) => {
    const sync = syncFor(handle.client, webSocketImpl);
    running.push({ client: handle.client, sync });
    await sync.start();
    return sync;
  };
  const signedOutOnce = (client: SessionClient) => new Promise<string>((resolve) => client.onSignedOut(resolve));

  beforeAll(async () => {
    // Open sockets are re-checked every SESSION_STATE_TTL: 1 s, so an expired token's socket closes soon.
    app = await startTestApp({ ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TIMEOUT: '30m', SESSION_STATE_TTL: '1s' });
  });
  beforeEach(async () => {
    user = await registerUser(app.graphql); // a user per test: no event of one test reaches another
  });
  afterEach(async () => {
    for (const { client, sync } of running.splice(0)) {
      await sync?.stop();
      client.close();
    }
  });
  afterAll(() => app.close());

  it('shows sessions opened and ended on other devices as they happen', async () => {
    const phone = await device('phone');
    const sync = await syncing(phone);
    expect(sync.sessions.map((session) => session.id)).toEqual([phone.client.currentSessionId]);
    expect(sync.sessions[0].current).toBe(true);

    const tablet = await device('tablet');
    await eventually(() => sync.sessions.some((session) => session.id === tablet.client.currentSessionId), 2_000, 'the tablet to show up');
    expect(sync.sessions.find((session) => session.id === tablet.client.currentSessionId)).toMatchObject({
      current: false,
      device: { name: 'tablet' },
    });

    await tablet.client.logout();
    await eventually(() => sync.sessions.length === 1, 2_000, 'the tablet to go away');
    expect(phone.signedOut).toEqual([]);
  });

  it('signs a device out within a second when another device revokes its session, and empties its store', async () => {
    const phone = await device('phone');
    const laptop = await device('laptop');
    await syncing(phone);
    const signedOut = signedOutOnce(phone.client);

    const revokedAt = Date.now();
    await laptop.client.revokeSession(phone.client.currentSessionId!);
    expect(await signedOut).toBe('SESSION_REVOKED');

    expect(Date.now() - revokedAt).toBeLessThan(1_000);
    expect(await phone.store.read()).toBeNull();
    expect(phone.client.currentSessionId).toBeNull();
    expect(laptop.signedOut).toEqual([]);
  });

  it('refetches the list when a version gap shows that an event was missed', async () => {
    const network = new WebSocketControl();
    const phone = await device('phone');
    const sync = await syncing(phone, network.WebSocket);
    const watch = await device('watch'); // an event received: the version to compare with
    await eventually(() => sync.sessions.some((session) => session.id === watch.client.currentSessionId));
    await app.settled();
    await sync.refetch(); // whatever was under way has finished
    const fetchesBefore = phone.recorder.count('TesseraActiveSessions');

    network.dropIncoming((message) => message.includes('"SESSION_CREATED"'));
    const tablet = await device('tablet'); // its SESSION_CREATED is lost on the way
    await eventually(() => network.droppedMessages.length === 1, 2_000, 'the event to be lost');
    const laptop = await device('laptop'); // the next event shows the gap

    await eventually(
      () => sync.sessions.some((session) => session.id === tablet.client.currentSessionId),
      2_000,
      'the tablet, whose event was lost, to appear after a refetch',
    );
    expect(phone.recorder.count('TesseraActiveSessions')).toBeGreaterThan(fetchesBefore);
    await eventually(() => sync.sessions.some((session) => session.id === laptop.client.currentSessionId));
  });

  it('reconnects with a renewed access token after the network drops, and catches up', async () => {
    const network = new WebSocketControl();
    const phone = await device('phone');
    const sync = await syncing(phone, network.WebSocket);
    app.clock.advance(1 * MINUTE);
    await phone.client.me(); // the app is in use

    app.clock.advance(15 * MINUTE); // the socket's token has expired meanwhile; the session has not
    network.cutAll();
    const tablet = await device('tablet'); // happens while the phone is away

    await eventually(() => sync.sessions.some((session) => session.id === tablet.client.currentSessionId), 3_000, 'the phone to catch up');
    expect(phone.client.refresher.refreshes).toBe(1);
    expect(sync.connected).toBe(true);

    const watch = await device('watch'); // live again, not only refetched
    await eventually(() => sync.sessions.some((session) => session.id === watch.client.currentSessionId));
    expect(phone.signedOut).toEqual([]);
  });

  it('stays in sync across its access token’s expiry: the service closes the socket with 4401, the SDK renews and reconnects', async () => {
    const network = new WebSocketControl();
    const phone = await device('phone');
    const sync = await syncing(phone, network.WebSocket);
    app.clock.advance(1 * MINUTE);
    await phone.client.me(); // the app is in use

    app.clock.advance(15 * MINUTE); // the socket's token expires; the session does not
    await eventually(() => network.closeCodes.includes(4401), 5_000, 'the service to close the expired socket with 4401');
    const tablet = await device('tablet');

    await eventually(
      () => sync.sessions.some((session) => session.id === tablet.client.currentSessionId),
      3_000,
      'the phone to see the tablet',
    );
    expect(phone.client.refresher.refreshes).toBe(1);
    expect(sync.connected).toBe(true);
    const watch = await device('watch');
    await eventually(() => sync.sessions.some((session) => session.id === watch.client.currentSessionId));
    expect(phone.signedOut).toEqual([]);
  });

  it('does not renew the token of an idle app to reconnect: it waits until the app is used again', async () => {
    const network = new WebSocketControl();
    const phone = await device('phone');
    const sync = await syncing(phone, network.WebSocket);

    app.clock.advance(16 * MINUTE); // nobody touched the app; its token has run out
    network.cutAll();
    await eventually(() => sync.status === 'waiting-for-activity', 2_000, 'the sync to wait for the user');
    expect(phone.client.refresher.refreshes).toBe(0);
    const tablet = await device('tablet');

    phone.client.refresher.noteActivity(); // the user opens the app
    await eventually(() => sync.sessions.some((session) => session.id === tablet.client.currentSessionId), 3_000, 'the phone to catch up');
    expect(sync.status).toBe('connected');
    expect(phone.client.refresher.refreshes).toBe(1);
  });

  it('passes device and alert events on, and keeps the devices in its list current', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    const sync = await syncing(phone);
    const events: SessionEvent[] = [];
    sync.onEvent((event) => events.push(event));

    const tabletDeviceId = sync.sessions.find((session) => session.id === tablet.client.currentSessionId)!.device.id;
    await tablet.client.trustDevice(tabletDeviceId);
    await eventually(() => events.some((event) => event.type === 'DEVICE_TRUSTED'), 2_000, 'DEVICE_TRUSTED');
    expect(sync.sessions.find((session) => session.device.id === tabletDeviceId)!.device.trusted).toBe(true);

    await device('new laptop'); // a device the account has not used: a NEW_DEVICE alert
    await eventually(() => events.some((event) => event.type === 'ALERT_RAISED'), 2_000, 'ALERT_RAISED');
    expect(events.find((event) => event.type === 'ALERT_RAISED')!.alert).toMatchObject({ type: 'NEW_DEVICE', severity: 'WARNING' });
  });

  it('does not keep an idle device alive: its socket closes when its token expires, its session idles out, and it is signed out when next used', async () => {
    const network = new WebSocketControl();
    const phone = await device('phone');
    const sync = await syncing(phone, network.WebSocket);
    const signedOut = signedOutOnce(phone.client);

    app.clock.advance(31 * MINUTE);
    expect(await phone.client.refresher.refreshIfDue()).toBe(false);
    await eventually(() => network.closeCodes.includes(4401), 5_000, 'the service to close the socket of the expired token');
    await app.tessera.app.get(SessionSweeper).sweep();
    expect(phone.client.refresher.refreshes).toBe(0); // an idle app renews nothing to reconnect

    await expect(phone.client.me()).rejects.toMatchObject({ code: 'SESSION_EXPIRED' }); // the user opens the app again
    expect(await signedOut).toBe('SESSION_EXPIRED');
    expect(await phone.store.read()).toBeNull();
    expect(phone.client.refresher.refreshes).toBe(0);
    expect(sync.sessions).toEqual([]);
  });
});
