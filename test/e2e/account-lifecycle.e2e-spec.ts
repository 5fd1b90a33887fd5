import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt } from 'jose';
import { deviceInput, login, PASSWORD, refresh, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { GraphQLSocket } from '../helpers/graphql-ws-socket.js';
import { MINUTE } from '../helpers/manual-clock.js';
import {
  ACKNOWLEDGE,
  ACTIVE_SESSIONS,
  ACTIVITY,
  ALERTS,
  CHANGE_PASSWORD,
  CREATE_SESSION,
  DEVICES,
  DISABLE_USER,
  ENABLE_USER,
  ME,
  REAUTHENTICATE,
  REMOVE_DEVICE,
  RENAME_DEVICE,
  REPORT_ALERT,
  REVOKE_ALL,
  SET_USER_ROLES,
  TRUST_DEVICE,
} from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { EventListener } from '../helpers/ws-client.js';

const ADMIN_EMAIL = 'lifecycle-admin@example.com';
const ADMIN_PASSWORD = 'an administrator password';
const NEW_PASSWORD = 'a brand new passphrase';

const EVENTS = `subscription {
  sessionEvents {
    type userId sessionId version occurredAt
    session { id status endReason }
    device { id name trusted }
    alert { id type severity sessionId acknowledgedAt }
  }
}`;

/** An alert-bearing event as EVENTS selects it. */
interface AlertEvent {
  readonly alert: { id: string; type: string; acknowledgedAt: string | null } | null;
  readonly device: { id: string; name: string | null } | null;
}

describe('the account’s own life', () => {
  let app: TestApp;
  let admin: LoginResult;
  const listeners: EventListener[] = [];
  const sockets: GraphQLSocket[] = [];

  const listen = async (accessToken: string) => {
    const listener = new EventListener(app.graphql.url, accessToken, EVENTS);
    listeners.push(listener);
    return listener.subscribe();
  };
  const socketFor = async (accessToken: string) => {
    const socket = new GraphQLSocket(app.graphql.url, accessToken);
    sockets.push(socket);
    await socket.connected;
    return socket;
  };
  const activityTypes = async (accessToken: string) =>
    (await app.graphql.data(ACTIVITY, { first: 50 }, accessToken)).sessionActivity.edges.map(
      (edge: { node: { type: string; details: Record<string, unknown> | null } }) => edge.node,
    );
  const alertsOf = async (accessToken: string) =>
    (await app.graphql.data(ALERTS, { unacknowledgedOnly: false }, accessToken)).sessionAlerts as {
      id: string;
      type: string;
      severity: string;
      sessionId: string | null;
      acknowledgedAt: string | null;
    }[];

  beforeAll(async () => {
    app = await startTestApp({ ADMIN_EMAIL, ADMIN_PASSWORD, ACCESS_TOKEN_TTL: '60m' });
    admin = await login(app.graphql, { id: '', email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  });
  afterEach(async () => {
    await Promise.all([
      ...listeners.splice(0).map((listener) => listener.dispose()),
      ...sockets.splice(0).map((socket) => socket.dispose()),
    ]);
  });
  afterAll(() => app.close());

  describe('changePassword', () => {
    it('ends every other session with PASSWORD_CHANGED (their sockets get the end, then 4403), keeps the caller’s, and warns every device', async () => {
      const user = await registerUser(app.graphql);
      const laptop = await login(app.graphql, user);
      const phone = await login(app.graphql, user);
      const laptopEvents = await listen(laptop.tokens.accessToken);
      const phoneEvents = await listen(phone.tokens.accessToken);

      const ended = await app.graphql.data(
        CHANGE_PASSWORD,
        { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } },
        phone.tokens.accessToken,
      );

      expect(ended.changePassword).toBe(1);
      await laptopEvents.until(() => laptopEvents.closeCode === 4403);
      expect(laptopEvents.eventOf('SESSION_REVOKED', laptop.session.id)?.session).toMatchObject({ endReason: 'PASSWORD_CHANGED' });
      await phoneEvents.until(() => !!phoneEvents.eventOf('ALERT_RAISED'));
      expect((phoneEvents.eventOf('ALERT_RAISED') as unknown as AlertEvent).alert).toMatchObject({ type: 'PASSWORD_CHANGED' });
      expect(phoneEvents.closeCode).toBeUndefined();

      expect((await app.graphql.data(ME, {}, phone.tokens.accessToken)).me.id).toBe(user.id);
      expect(await app.graphql.errorCode(ME, {}, laptop.tokens.accessToken)).toBe('SESSION_REVOKED');
      expect(await app.graphql.errorCode(CREATE_SESSION, { input: { email: user.email, password: PASSWORD, device: deviceInput() } })).toBe(
        'INVALID_CREDENTIALS',
      );
      await login(app.graphql, { ...user, password: NEW_PASSWORD });

      expect((await alertsOf(phone.tokens.accessToken)).find((alert) => alert.type === 'PASSWORD_CHANGED')).toMatchObject({
        severity: 'INFO',
        sessionId: phone.session.id,
      });
      expect((await activityTypes(phone.tokens.accessToken)).map((entry: { type: string }) => entry.type)).toContain('PASSWORD_CHANGED');
    });

    it('refuses a wrong current password, a new one the policy refuses, and the current one again, changing nothing', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const laptop = await login(app.graphql, user);
      const change = (currentPassword: string, newPassword: string) =>
        app.graphql.request(CHANGE_PASSWORD, { input: { currentPassword, newPassword } }, phone.tokens.accessToken);

      expect((await change('not my password', NEW_PASSWORD)).errors![0].extensions).toMatchObject({
        code: 'INVALID_CREDENTIALS',
        fields: ['currentPassword'],
      });
      expect((await change(PASSWORD, 'too short')).errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: ['newPassword'],
      });
      expect((await change(PASSWORD, user.email.toUpperCase())).errors![0].extensions).toMatchObject({
        code: 'BAD_USER_INPUT',
        fields: ['newPassword'],
      });
      expect((await change(PASSWORD, PASSWORD)).errors![0]).toMatchObject({
        message: 'The new password must differ from the current one.',
        extensions: { code: 'BAD_USER_INPUT', fields: ['newPassword'] },
      });

      expect((await app.graphql.data(ME, {}, laptop.tokens.accessToken)).me.id).toBe(user.id);
      await login(app.graphql, user);
    });

    it('is answered on the REST mirror too, and never over a socket', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      await login(app.graphql, user);

      const socket = await socketFor(phone.tokens.accessToken);
      const overSocket = await socket.request(CHANGE_PASSWORD, { input: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
      expect(overSocket.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT' });

      const response = await rest(app.baseUrl, 'POST', '/api/auth/password/change', {
        accessToken: phone.tokens.accessToken,
        body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD },
      });
      expect(response).toMatchObject({ status: 200, body: { endedSessions: 1 } });
      await login(app.graphql, { ...user, password: NEW_PASSWORD });
    });
  });

  describe('disableUser and enableUser', () => {
    it('ends the account’s sessions at once, closes its sockets, and refuses its refresh token, old access token and logins until enabled', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const events = await listen(phone.tokens.accessToken);

      const disabled = await app.graphql.data(DISABLE_USER, { id: user.id }, admin.tokens.accessToken);

      expect(disabled.disableUser).toMatchObject({ id: user.id, disabled: true, disabledAt: expect.any(String) });
      await events.until(() => events.closeCode === 4403);
      expect(events.eventOf('SESSION_REVOKED', phone.session.id)?.session).toMatchObject({ endReason: 'ACCOUNT_DISABLED' });
      expect(await app.graphql.errorCode(ME, {}, phone.tokens.accessToken)).toBe('SESSION_REVOKED');
      const refused = await app.graphql.request(
        `mutation($t: String!) { refreshSession(input: { refreshToken: $t }) { tokens { accessToken } } }`,
        {
          t: phone.tokens.refreshToken,
        },
      );
      expect(refused.errors![0].extensions.code).toBe('ACCOUNT_DISABLED');
      // After the password check: a wrong password answers what it answers for every account.
      expect(
        await app.graphql.errorCode(CREATE_SESSION, { input: { email: user.email, password: 'wrong password!!', device: deviceInput() } }),
      ).toBe('INVALID_CREDENTIALS');
      expect(await app.graphql.errorCode(CREATE_SESSION, { input: { email: user.email, password: PASSWORD, device: deviceInput() } })).toBe(
        'ACCOUNT_DISABLED',
      );

      const enabled = await app.graphql.data(ENABLE_USER, { id: user.id }, admin.tokens.accessToken);
      expect(enabled.enableUser).toMatchObject({ disabled: false, disabledAt: null });
      const again = await login(app.graphql, user);
      const log = (await activityTypes(again.tokens.accessToken)) as { type: string; details: Record<string, unknown> | null }[];
      expect(log.filter((entry) => entry.type.startsWith('ACCOUNT_'))).toEqual([
        expect.objectContaining({ type: 'ACCOUNT_ENABLED', details: { byUserId: admin.user.id } }),
        expect.objectContaining({ type: 'ACCOUNT_DISABLED', details: { byUserId: admin.user.id } }),
      ]);
    });

    it('is for administrators only, and an administrator cannot disable their own account', async () => {
      const user = await registerUser(app.graphql);
      const session = await login(app.graphql, user);
      expect(await app.graphql.errorCode(DISABLE_USER, { id: admin.user.id }, session.tokens.accessToken)).toBe('FORBIDDEN');
      expect(await app.graphql.errorCode(ENABLE_USER, { id: user.id }, session.tokens.accessToken)).toBe('FORBIDDEN');
      expect(await app.graphql.errorCode(DISABLE_USER, { id: admin.user.id }, admin.tokens.accessToken)).toBe('BAD_USER_INPUT');
    });
  });

  describe('setUserRoles', () => {
    it('takes administrator rights from an old access token at once, over HTTP and over a socket', async () => {
      const user = await registerUser(app.graphql);
      await app.graphql.data(SET_USER_ROLES, { id: user.id, roles: ['USER', 'ADMIN'] }, admin.tokens.accessToken);
      const promoted = await login(app.graphql, user);
      expect(decodeJwt(promoted.tokens.accessToken).roles).toEqual(['USER', 'ADMIN']);
      const socket = await socketFor(promoted.tokens.accessToken);
      const someoneElses = { userId: admin.user.id };
      expect((await app.graphql.request(ACTIVE_SESSIONS, someoneElses, promoted.tokens.accessToken)).errors).toBeUndefined();
      expect((await socket.request(ACTIVE_SESSIONS, someoneElses)).errors).toBeUndefined();

      const demoted = await app.graphql.data(SET_USER_ROLES, { id: user.id, roles: ['USER'] }, admin.tokens.accessToken);

      expect(demoted.setUserRoles.roles).toEqual(['USER']);
      expect(await app.graphql.errorCode(ACTIVE_SESSIONS, someoneElses, promoted.tokens.accessToken)).toBe('FORBIDDEN');
      expect((await socket.request(ACTIVE_SESSIONS, someoneElses)).errors![0].extensions.code).toBe('FORBIDDEN');
      expect((await app.graphql.data(ME, {}, promoted.tokens.accessToken)).me.roles).toEqual(['USER']);
    });

    it('keeps USER on every account and ADMIN on the last administrator', async () => {
      const user = await registerUser(app.graphql);
      const refusals = [
        await app.graphql.request(SET_USER_ROLES, { id: user.id, roles: ['ADMIN'] }, admin.tokens.accessToken),
        await app.graphql.request(SET_USER_ROLES, { id: admin.user.id, roles: ['USER'] }, admin.tokens.accessToken),
      ];
      for (const refusal of refusals) expect(refusal.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['roles'] });
      expect((await app.graphql.data(ME, {}, admin.tokens.accessToken)).me.roles).toContain('ADMIN');
    });
  });

  describe('reportAlert ("this wasn’t me")', () => {
    it('ends the session a NEW_DEVICE alert names, untrusts its device, and acknowledges the alert on every device', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const intruder = await login(app.graphql, user, deviceInput({ type: 'DESKTOP', name: 'Unknown PC' }));
      await app.graphql.data(TRUST_DEVICE, { id: intruder.session.device.id }, intruder.tokens.accessToken);
      const phoneEvents = await listen(phone.tokens.accessToken);
      const [alert] = (await alertsOf(phone.tokens.accessToken)).filter((candidate) => candidate.type === 'NEW_DEVICE');
      expect(alert.sessionId).toBe(intruder.session.id);

      const reported = await app.graphql.data(REPORT_ALERT, { id: alert.id }, phone.tokens.accessToken);

      expect(reported.reportAlert).toMatchObject({ id: alert.id, acknowledgedAt: expect.any(String) });
      expect(await app.graphql.errorCode(ME, {}, intruder.tokens.accessToken)).toBe('SESSION_REVOKED');
      const devices = (await app.graphql.data(DEVICES, {}, phone.tokens.accessToken)).devices as { id: string; trusted: boolean }[];
      expect(devices.find((device) => device.id === intruder.session.device.id)?.trusted).toBe(false);
      await phoneEvents.until(() => !!phoneEvents.eventOf('ALERT_ACKNOWLEDGED'));
      expect(phoneEvents.eventOf('SESSION_REVOKED', intruder.session.id)?.session).toMatchObject({ endReason: 'REPORTED_BY_USER' });
      const types = (await activityTypes(phone.tokens.accessToken)).map((entry: { type: string }) => entry.type);
      expect(types).toEqual(expect.arrayContaining(['ALERT_REPORTED', 'ALERT_ACKNOWLEDGED', 'DEVICE_UNTRUSTED']));
    });

    it('answers cleanly for an alert whose session has already ended, and still acknowledges it', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const laptop = await login(app.graphql, user, deviceInput({ type: 'WEB', name: 'Browser' }));
      await app.graphql.data(`mutation { logout }`, {}, laptop.tokens.accessToken);
      const [alert] = (await alertsOf(phone.tokens.accessToken)).filter((candidate) => candidate.type === 'NEW_DEVICE');

      const reported = await app.graphql.request(REPORT_ALERT, { id: alert.id }, phone.tokens.accessToken);

      expect(reported.errors).toBeUndefined();
      expect(reported.data!.reportAlert.acknowledgedAt).toEqual(expect.any(String));
      expect((await app.graphql.data(ME, {}, phone.tokens.accessToken)).me.id).toBe(user.id);
    });

    it('tells every device of an acknowledgement, and keeps acknowledged alerts in the history', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const laptop = await login(app.graphql, user, deviceInput({ type: 'WEB', name: 'Browser' }));
      const phoneEvents = await listen(phone.tokens.accessToken);
      const [alert] = await alertsOf(laptop.tokens.accessToken);

      await app.graphql.data(ACKNOWLEDGE, { id: alert.id }, laptop.tokens.accessToken);

      await phoneEvents.until(() => !!phoneEvents.eventOf('ALERT_ACKNOWLEDGED'));
      expect((phoneEvents.eventOf('ALERT_ACKNOWLEDGED') as unknown as AlertEvent).alert).toMatchObject({
        id: alert.id,
        acknowledgedAt: expect.any(String),
      });
      expect((await app.graphql.data(ALERTS, { unacknowledgedOnly: true }, phone.tokens.accessToken)).sessionAlerts).toEqual([]);
      expect((await alertsOf(phone.tokens.accessToken)).map((kept) => kept.id)).toContain(alert.id);
    });
  });

  describe('renameDevice and removeDevice', () => {
    it('keeps the owner’s name over the one the app reports, and tells every device (DEVICE_UPDATED)', async () => {
      const user = await registerUser(app.graphql);
      const device = deviceInput({ name: 'iPhone' });
      const phone = await login(app.graphql, user, device);
      const events = await listen(phone.tokens.accessToken);

      const renamed = await app.graphql.data(
        RENAME_DEVICE,
        { id: phone.session.device.id, name: '  Work phone ' },
        phone.tokens.accessToken,
      );

      expect(renamed.renameDevice.name).toBe('Work phone');
      await events.until(() => !!events.eventOf('DEVICE_UPDATED'));
      expect((events.eventOf('DEVICE_UPDATED') as unknown as AlertEvent).device).toMatchObject({ name: 'Work phone' });
      const again = await login(app.graphql, user, device);
      expect(again.session.device).toMatchObject({ id: phone.session.device.id, name: 'Work phone' });
      for (const name of ['   ', 'x'.repeat(65), 'bad\u0000name', 'right\u202eto-left']) {
        const refused = await app.graphql.request(RENAME_DEVICE, { id: phone.session.device.id, name }, phone.tokens.accessToken);
        expect(refused.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['name'] });
      }
    });

    it('forgets a device: its sessions end (DEVICE_REMOVED), it leaves the list, and its next login is a new device', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const tabletDevice = deviceInput({ type: 'ANDROID', name: 'Tablet' });
      const tablet = await login(app.graphql, user, tabletDevice);
      const events = await listen(phone.tokens.accessToken);

      expect((await app.graphql.data(REMOVE_DEVICE, { id: tablet.session.device.id }, phone.tokens.accessToken)).removeDevice).toBe(true);

      await events.until(() => !!events.eventOf('DEVICE_REMOVED'));
      expect(events.eventOf('SESSION_REVOKED', tablet.session.id)?.session).toMatchObject({ endReason: 'DEVICE_REMOVED' });
      expect(await app.graphql.errorCode(ME, {}, tablet.tokens.accessToken)).toBe('SESSION_REVOKED');
      const listed = (await app.graphql.data(DEVICES, {}, phone.tokens.accessToken)).devices as { id: string }[];
      expect(listed.map((device) => device.id)).toEqual([phone.session.device.id]);
      expect(await app.graphql.errorCode(REMOVE_DEVICE, { id: tablet.session.device.id }, phone.tokens.accessToken)).toBe('NOT_FOUND');

      const back = await login(app.graphql, user, tabletDevice);
      expect(back.session.device.id).not.toBe(tablet.session.device.id);
      const newDeviceAlerts = (await alertsOf(phone.tokens.accessToken)).filter((alert) => alert.type === 'NEW_DEVICE');
      expect(newDeviceAlerts.map((alert) => alert.sessionId)).toContain(back.session.id);
    });
  });

  describe('step-up (reauthenticate)', () => {
    it('asks for a recent proof after REAUTHENTICATION_MAX_AGE, and reauthenticate gives one, with new tokens carrying auth_time', async () => {
      const user: TestUser = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const laptop = await login(app.graphql, user, deviceInput({ type: 'WEB', name: 'Browser' }));
      expect(decodeJwt(phone.tokens.accessToken).auth_time).toBe(Math.floor(Date.parse(phone.session.createdAt) / 1000));

      app.clock.advance(11 * MINUTE);

      const refused = await app.graphql.request(TRUST_DEVICE, { id: laptop.session.device.id }, phone.tokens.accessToken);
      expect(refused.errors![0].extensions).toMatchObject({ code: 'REAUTHENTICATION_REQUIRED', maxAgeSeconds: 600 });
      expect(await app.graphql.errorCode(REVOKE_ALL, { input: { exceptCurrent: false } }, phone.tokens.accessToken)).toBe(
        'REAUTHENTICATION_REQUIRED',
      );
      expect(await app.graphql.errorCode(REMOVE_DEVICE, { id: laptop.session.device.id }, phone.tokens.accessToken)).toBe(
        'REAUTHENTICATION_REQUIRED',
      );
      const overRest = await rest(app.baseUrl, 'POST', '/api/auth/session/revoke-all', {
        accessToken: phone.tokens.accessToken,
        body: { exceptCurrent: false },
      });
      expect(overRest.status).toBe(401);
      expect(overRest.body.error).toMatchObject({ code: 'REAUTHENTICATION_REQUIRED', maxAgeSeconds: 600 });
      // RFC 9470's step-up challenge: not "log in again", but "prove it again".
      expect(overRest.headers.get('www-authenticate')).toBe(
        'Bearer realm="tessera", error="insufficient_user_authentication", max_age=600',
      );
      // Ending the other sessions, not one's own, needs no step-up.
      expect((await app.graphql.request(REVOKE_ALL, { input: { exceptCurrent: true } }, phone.tokens.accessToken)).errors).toBeUndefined();
      expect(await app.graphql.errorCode(REAUTHENTICATE, { input: { password: 'not my password' } }, phone.tokens.accessToken)).toBe(
        'INVALID_CREDENTIALS',
      );

      const proof = (await app.graphql.data(REAUTHENTICATE, { input: { password: PASSWORD } }, phone.tokens.accessToken)).reauthenticate;

      expect(proof.session).toMatchObject({ id: phone.session.id, current: true, authenticatedAt: app.clock.now().toISOString() });
      expect(decodeJwt(proof.tokens.accessToken)).toMatchObject({
        sid: phone.session.id,
        auth_time: Math.floor(app.clock.now().getTime() / 1000),
      });
      expect((await app.graphql.request(TRUST_DEVICE, { id: phone.session.device.id }, proof.tokens.accessToken)).errors).toBeUndefined();
      // The token it replaced is answered with the new one, as a refresh whose answer was lost would be.
      expect((await refresh(app.graphql, phone.tokens.refreshToken)).tokens.refreshToken).toBe(proof.tokens.refreshToken);
      const log = (await activityTypes(proof.tokens.accessToken)) as { type: string; details: Record<string, unknown> | null }[];
      expect(log.find((entry) => entry.type === 'REAUTHENTICATED')?.details).toEqual({ method: 'password' });
    });

    it('answers reauthenticate on the REST mirror too, and never over a socket', async () => {
      const user = await registerUser(app.graphql);
      const phone = await login(app.graphql, user);
      const socket = await socketFor(phone.tokens.accessToken);
      expect((await socket.request(REAUTHENTICATE, { input: { password: PASSWORD } })).errors![0].extensions.code).toBe('BAD_USER_INPUT');

      const response = await rest(app.baseUrl, 'POST', '/api/auth/reauthenticate', {
        accessToken: phone.tokens.accessToken,
        body: { password: PASSWORD },
      });

      expect(response.status).toBe(200);
      expect(response.body.session).toMatchObject({ id: phone.session.id, authenticatedAt: app.clock.now().toISOString() });
      expect(response.headers.get('cache-control')).toContain('no-store');
    });
  });
});
