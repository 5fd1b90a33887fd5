import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import {
  isReauthenticationRequired,
  ReauthenticationRequiredError,
  TesseraError,
  type Session,
  type SessionClient,
  type SessionEvent,
  type SessionSync,
} from '../../client/src/index.js';
import { registerUser, type TestUser } from '../factories/session.factory.js';
import { clientFor, eventually, sdkDevice, syncFor, type ClientUnderTest } from '../helpers/client-sdk.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'an administrator password';
const NEW_PASSWORD = 'a brand new passphrase';

/** What the service says about one of the user's sessions, asked through the SDK's own request(). */
const SESSION_STATE = `query SessionState($id: ID!) { session(id: $id) { status endReason device { id trusted } } }`;

/**
 * The account's own life through the SDK, against the real service: changing the password,
 * proving who you are again before a sensitive operation, "this wasn't me", naming and forgetting
 * devices, signing out everywhere, and the admin calls. Each device is a SessionClient with a
 * store of its own; the app's clock is the service's, so `app.clock.advance` moves both.
 */
describe('client SDK: the account’s own life', () => {
  let app: TestApp;
  let user: TestUser;
  const running: { client: SessionClient; sync?: SessionSync }[] = [];

  const device = async (name: string, who: { email: string; password: string } = user): Promise<ClientUnderTest> => {
    const handle = clientFor(app);
    await handle.client.login({ email: who.email, password: who.password, device: sdkDevice({ name, type: 'ANDROID' }) });
    running.push({ client: handle.client });
    return handle;
  };
  const syncing = async (handle: ClientUnderTest) => {
    const sync = syncFor(handle.client);
    running.push({ client: handle.client, sync });
    await sync.start();
    return sync;
  };
  const recording = (sync: SessionSync) => {
    const events: SessionEvent[] = [];
    sync.onEvent((event) => events.push(event));
    return events;
  };
  const signedOutOnce = (client: SessionClient) => new Promise<string>((resolve) => client.onSignedOut(resolve));
  const sessionState = async (asker: SessionClient, sessionId: string) =>
    (
      await asker.request<{ session: Pick<Session, 'status' | 'endReason'> & { device: { id: string; trusted: boolean } } }>(
        SESSION_STATE,
        {
          id: sessionId,
        },
      )
    ).session;
  const deviceIdOf = (handle: ClientUnderTest) => handle.client.currentDeviceId!;

  beforeAll(async () => {
    app = await startTestApp({
      ACCESS_TOKEN_TTL: '15m',
      SESSION_IDLE_TIMEOUT: '30m',
      SESSION_STATE_TTL: '1s',
      ADMIN_EMAIL,
      ADMIN_PASSWORD,
    });
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

  it('changes the password: every other device is signed out, this one stays, and only the new password signs in', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    await syncing(tablet);
    const tabletSignedOut = signedOutOnce(tablet.client);
    const tabletSession = tablet.client.currentSessionId!;

    // Refusals change nothing and sign nobody out.
    await expect(phone.client.changePassword({ currentPassword: 'not the password!', newPassword: NEW_PASSWORD })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });
    const tooShort = await phone.client
      .changePassword({ currentPassword: user.password, newPassword: 'short' })
      .catch((error: unknown) => error);
    expect(tooShort).toBeInstanceOf(TesseraError);
    expect((tooShort as TesseraError).code).toBe('BAD_USER_INPUT');
    await expect(phone.client.changePassword({ currentPassword: user.password, newPassword: user.password })).rejects.toMatchObject({
      code: 'BAD_USER_INPUT',
    });
    expect(tablet.signedOut).toEqual([]);

    const ended = await phone.client.changePassword({ currentPassword: user.password, newPassword: NEW_PASSWORD });
    expect(ended).toBe(1);
    expect(await tabletSignedOut).toBe('SESSION_REVOKED');
    expect(await tablet.store.read()).toBeNull();
    expect(await sessionState(phone.client, tabletSession)).toMatchObject({
      status: 'REVOKED',
      endReason: 'PASSWORD_CHANGED',
    });

    await expect(phone.client.me()).resolves.toMatchObject({ email: user.email });
    expect(phone.signedOut).toEqual([]);
    await expect(device('old password', user)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    await expect(device('new password', { email: user.email, password: NEW_PASSWORD })).resolves.toBeTruthy();
  });

  it('asks for the password again before a sensitive operation, with a typed error; reauthenticate renews the tokens and the operation goes through', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    // Right after a login nothing asks: the login was the proof.
    await expect(phone.client.trustDevice(deviceIdOf(phone))).resolves.toMatchObject({ trusted: true });

    app.clock.advance(11 * MINUTE); // past REAUTHENTICATION_MAX_AGE (10 minutes), well before the token's renewal
    const refused = await phone.client.trustDevice(deviceIdOf(tablet)).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ReauthenticationRequiredError);
    expect(refused).toBeInstanceOf(TesseraError);
    expect(isReauthenticationRequired(refused)).toBe(true);
    expect(refused).toMatchObject({ code: 'REAUTHENTICATION_REQUIRED', maxAgeSeconds: 600 });
    // Signing out everywhere is held back the same way, and this device stays signed in.
    await expect(phone.client.signOutEverywhere()).rejects.toBeInstanceOf(ReauthenticationRequiredError);
    expect(phone.signedOut).toEqual([]);
    expect(tablet.signedOut).toEqual([]);

    await expect(phone.client.reauthenticate('not the password!')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
    expect(phone.client.currentSessionId).not.toBeNull();

    const storedBefore = await phone.store.read();
    const renewals: string[] = [];
    phone.client.refresher.onRefreshed((info) => renewals.push(info.sessionId));
    const session = await phone.client.reauthenticate(user.password);

    expect(session.id).toBe(phone.client.currentSessionId);
    expect(Date.parse(session.authenticatedAt)).toBeGreaterThanOrEqual(app.clock.now().getTime() - 1_000);
    expect(Date.parse(session.authenticatedAt)).toBeGreaterThan(Date.parse(session.createdAt));
    // Kept like a refresh's answer: a new refresh token in the store, with no refresh sent for it.
    const storedAfter = await phone.store.read();
    expect(storedAfter).toMatchObject({ sessionId: storedBefore!.sessionId });
    expect(storedAfter!.refreshToken).not.toBe(storedBefore!.refreshToken);
    expect(renewals).toEqual([session.id]);
    expect(phone.recorder.count('TesseraRefresh')).toBe(0);

    await expect(phone.client.trustDevice(deviceIdOf(tablet))).resolves.toMatchObject({ trusted: true });

    // The stored refresh token is the one the next renewal sends, and the service takes it.
    app.clock.advance(13 * MINUTE);
    await expect(phone.client.me()).resolves.toMatchObject({ email: user.email });
    expect(phone.recorder.count('TesseraRefresh')).toBe(1);
    expect(phone.signedOut).toEqual([]);
  });

  it('“This wasn’t me” on a new-device alert ends that session, untrusts its device and acknowledges the alert on every device', async () => {
    const phone = await device('phone');
    const phoneEvents = recording(await syncing(phone));
    const intruder = await device('unknown laptop');
    await intruder.client.trustDevice(deviceIdOf(intruder)); // it even trusted itself
    await syncing(intruder);
    const intruderSignedOut = signedOutOnce(intruder.client);
    await app.settled();
    const alert = (await phone.client.alerts({ unacknowledgedOnly: true })).find(
      (candidate) => candidate.sessionId === intruder.client.currentSessionId,
    );
    expect(alert).toMatchObject({ type: 'NEW_DEVICE', acknowledgedAt: null });
    const intruderSession = intruder.client.currentSessionId!;

    const reported = await phone.client.reportAlert(alert!.id);

    expect(reported).toMatchObject({ id: alert!.id, sessionId: intruderSession });
    expect(reported.acknowledgedAt).not.toBeNull();
    expect(await intruderSignedOut).toBe('SESSION_REVOKED');
    expect(await sessionState(phone.client, intruderSession)).toMatchObject({
      status: 'REVOKED',
      endReason: 'REPORTED_BY_USER',
      device: { trusted: false },
    });
    expect((await phone.client.alerts({ unacknowledgedOnly: true })).map((open) => open.id)).not.toContain(alert!.id);
    await eventually(
      () =>
        phoneEvents.some((event) => event.type === 'ALERT_ACKNOWLEDGED' && event.alert?.id === alert!.id && !!event.alert.acknowledgedAt),
      2_000,
      'ALERT_ACKNOWLEDGED on the phone',
    );
    expect(phone.signedOut).toEqual([]);
  });

  it('names and forgets a device: every device hears of both, and the forgotten one is signed out', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    const phoneSync = await syncing(phone);
    const phoneEvents = recording(phoneSync);
    await syncing(tablet);
    const tabletSignedOut = signedOutOnce(tablet.client);
    const tabletDevice = deviceIdOf(tablet);
    const tabletSession = tablet.client.currentSessionId!;

    const renamed = await phone.client.renameDevice(tabletDevice, 'Kitchen tablet');
    expect(renamed).toMatchObject({ id: tabletDevice, name: 'Kitchen tablet' });
    await eventually(
      () => phoneSync.sessions.find((session) => session.id === tabletSession)?.device.name === 'Kitchen tablet',
      2_000,
      'the new name in the phone’s session list',
    );
    expect(phoneEvents.find((event) => event.type === 'DEVICE_UPDATED')?.device).toMatchObject({
      id: tabletDevice,
      name: 'Kitchen tablet',
    });
    expect((await tablet.client.devices()).find((known) => known.id === tabletDevice)?.name).toBe('Kitchen tablet');

    await expect(phone.client.removeDevice(tabletDevice)).resolves.toBe(true);

    expect(await tabletSignedOut).toBe('SESSION_REVOKED');
    expect(await tablet.store.read()).toBeNull();
    await eventually(() => !phoneSync.sessions.some((session) => session.id === tabletSession), 2_000, 'the tablet to leave the list');
    await eventually(() => phoneEvents.some((event) => event.type === 'DEVICE_REMOVED' && event.device?.id === tabletDevice));
    expect((await phone.client.devices()).map((known) => known.id)).not.toContain(tabletDevice);
    expect(await sessionState(phone.client, tabletSession)).toMatchObject({ status: 'REVOKED', endReason: 'DEVICE_REMOVED' });
    expect(phone.signedOut).toEqual([]);
  });

  it('signs out everywhere: every session ends, this device’s included, and its store is emptied', async () => {
    const phone = await device('phone');
    const tablet = await device('tablet');
    await syncing(tablet);
    const tabletSignedOut = signedOutOnce(tablet.client);

    const ended = await phone.client.signOutEverywhere();

    expect(ended).toBe(2);
    expect(phone.signedOut).toEqual(['SESSION_REVOKED']);
    expect(await phone.store.read()).toBeNull();
    expect(phone.client.currentSessionId).toBeNull();
    await expect(phone.client.me()).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
    expect(await tabletSignedOut).toBe('SESSION_REVOKED');
  });

  it('lets an admin disable an account, which signs it out and keeps it out until enabled, and set its roles', async () => {
    const admin = await device('admin console', { email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    const phone = await device('phone');
    await syncing(phone);
    const phoneSignedOut = signedOutOnce(phone.client);
    await expect(phone.client.disableUser(user.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });

    const disabled = await admin.client.disableUser(user.id);

    expect(disabled).toMatchObject({ id: user.id, disabled: true });
    expect(disabled.disabledAt).not.toBeNull();
    expect(await phoneSignedOut).toBe('ACCOUNT_DISABLED');
    expect(await phone.store.read()).toBeNull();
    await expect(device('phone again')).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });

    await expect(admin.client.enableUser(user.id)).resolves.toMatchObject({ disabled: false, disabledAt: null });
    const back = await device('phone again');
    await expect(back.client.me()).resolves.toMatchObject({ email: user.email, disabled: false, roles: ['USER'] });

    const promoted = await admin.client.setUserRoles(user.id, ['USER', 'ADMIN']);
    expect([...promoted.roles].sort()).toEqual(['ADMIN', 'USER']);
    const asAdmin = await device('phone as admin');
    expect([...(await asAdmin.client.me()).roles].sort()).toEqual(['ADMIN', 'USER']);
  });
});
