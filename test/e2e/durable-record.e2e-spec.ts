import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
import { deviceInput, login, refresh, registerUser } from '../factories/session.factory.js';
import {
  ACTIVITY,
  ALERTS,
  CREATE_SESSION,
  LOGOUT,
  REVOKE_ALL,
  REVOKE_SESSION,
  TRUST_DEVICE,
  UNTRUST_DEVICE,
} from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { EventListener, type ReceivedEvent } from '../helpers/ws-client.js';

const eventsSince = (version: number) => `subscription {
  sessionEvents(since: ${version}) { type userId sessionId version occurredAt session { id status } device { id trusted } }
}`;

/**
 * Issue 17: what a change records (its activity entry, the alert a rule raises over it, its
 * real-time event) commits with the change, so whoever has the answer can read the record, and
 * a device that was away can ask for what it missed.
 */
describe('the record of a change commits with it', () => {
  let app: TestApp;
  const listeners: EventListener[] = [];
  const listen = async (accessToken: string, query?: string) => {
    const listener = new EventListener(app.graphql.url, accessToken, query);
    listeners.push(listener);
    return listener.subscribe();
  };
  // Read at once, never after app.settled(): the entry must be there when the answer is.
  const activityTypes = async (accessToken: string, sessionId?: string): Promise<string[]> => {
    const filter = sessionId ? { sessionId } : undefined;
    const page = (await app.graphql.data(ACTIVITY, { first: 100, filter }, accessToken)).sessionActivity;
    return page.edges.map((edge: { node: { type: string } }) => edge.node.type);
  };
  const versionsOf = (events: readonly ReceivedEvent[]) => events.map((event) => event.version);

  beforeAll(async () => {
    app = await startTestApp({ ACCESS_TOKEN_TTL: '60m' });
  });
  afterEach(async () => {
    app.tessera.app.get(SessionEventRelay).hold(false);
    await Promise.all(listeners.splice(0).map((listener) => listener.dispose()));
  });
  afterAll(() => app.close());

  it('shows each change’s activity entry in the first read after its answer', async () => {
    const user = await registerUser(app.graphql);
    const laptop = await login(app.graphql, user);
    expect(await activityTypes(laptop.tokens.accessToken)).toEqual(['SESSION_CREATED', 'DEVICE_REGISTERED']);

    const wrong = await app.graphql.request(CREATE_SESSION, {
      input: { email: user.email, password: 'not the password', device: deviceInput() },
    });
    expect(wrong.errors?.[0].extensions.code).toBe('INVALID_CREDENTIALS');
    expect((await activityTypes(laptop.tokens.accessToken))[0]).toBe('LOGIN_FAILED');

    const phone = await login(app.graphql, user);
    await app.graphql.data(TRUST_DEVICE, { id: phone.session.device.id }, laptop.tokens.accessToken);
    expect((await activityTypes(laptop.tokens.accessToken))[0]).toBe('DEVICE_TRUSTED');
    await app.graphql.data(UNTRUST_DEVICE, { id: phone.session.device.id }, laptop.tokens.accessToken);
    expect((await activityTypes(laptop.tokens.accessToken)).slice(0, 2)).toEqual(['DEVICE_UNTRUSTED', 'SESSION_REVOKED']);

    const tablet = await login(app.graphql, user);
    await app.graphql.data(REVOKE_SESSION, { id: tablet.session.id }, laptop.tokens.accessToken);
    // A login from a new device raises NEW_DEVICE about the session it opened.
    expect(await activityTypes(laptop.tokens.accessToken, tablet.session.id)).toEqual([
      'SESSION_REVOKED',
      'ALERT_RAISED',
      'SESSION_CREATED',
    ]);

    const watch = await login(app.graphql, user);
    await app.graphql.data(LOGOUT, {}, watch.tokens.accessToken);
    expect(await activityTypes(laptop.tokens.accessToken, watch.session.id)).toEqual(['LOGOUT', 'ALERT_RAISED', 'SESSION_CREATED']);

    await refresh(app.graphql, laptop.tokens.refreshToken);
    expect((await activityTypes(laptop.tokens.accessToken, laptop.session.id))[0]).toBe('TOKEN_REFRESHED');
  });

  it('shows the alert a login raises in the first read after its answer', async () => {
    const user = await registerUser(app.graphql);
    const laptop = await login(app.graphql, user);
    await login(app.graphql, user, deviceInput({ type: 'ANDROID', name: 'Pixel' }));
    const alerts = (await app.graphql.data(ALERTS, {}, laptop.tokens.accessToken)).sessionAlerts;
    expect(alerts.map((alert: { type: string }) => alert.type)).toEqual(['NEW_DEVICE']);
    expect((await activityTypes(laptop.tokens.accessToken))[0]).toBe('ALERT_RAISED');
  });

  it('replays the events after `since` first, in version order, then goes on live without repeating one', async () => {
    const user = await registerUser(app.graphql);
    const laptop = await login(app.graphql, user);
    const phone = await login(app.graphql, user);
    const tablet = await login(app.graphql, user);
    await app.graphql.data(REVOKE_SESSION, { id: tablet.session.id }, laptop.tokens.accessToken);

    const everything = await listen(laptop.tokens.accessToken, eventsSince(0));
    await everything.until(() => everything.events.length >= 5);
    // v1 laptop created, v2 phone created, v3 NEW_DEVICE alert, v4 tablet created, v5 NEW_DEVICE alert, v6 tablet revoked.
    await everything.until(() => everything.events.some((event) => event.type === 'SESSION_REVOKED'));
    expect(versionsOf(everything.events)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(everything.events.map((event) => event.type)).toEqual([
      'SESSION_CREATED',
      'SESSION_CREATED',
      'ALERT_RAISED',
      'SESSION_CREATED',
      'ALERT_RAISED',
      'SESSION_REVOKED',
    ]);

    const recent = await listen(laptop.tokens.accessToken, eventsSince(4));
    await recent.until(() => recent.events.length >= 2);
    expect(versionsOf(recent.events)).toEqual([5, 6]);

    await app.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    await everything.until(() => everything.events.length === 7);
    await recent.until(() => recent.events.length === 3);
    expect(everything.events[6]).toMatchObject({ type: 'SESSION_REVOKED', sessionId: phone.session.id, version: 7 });
    expect(versionsOf(recent.events)).toEqual([5, 6, 7]);

    const refused = await listen(laptop.tokens.accessToken, eventsSince(-1));
    await refused.until(() => refused.errors.length > 0);
    expect(JSON.stringify(refused.errors)).toContain('BAD_USER_INPUT');
  });

  it('keeps a committed event until the relay sends it, and a subscriber gets it once', async () => {
    const user = await registerUser(app.graphql);
    const laptop = await login(app.graphql, user);
    const phone = await login(app.graphql, user);
    const listener = await listen(laptop.tokens.accessToken);
    const relay = app.tessera.app.get(SessionEventRelay);

    // As if the process had stopped between the commit and the publication.
    relay.hold(true);
    await app.graphql.data(REVOKE_ALL, { input: { exceptCurrent: true } }, laptop.tokens.accessToken);
    expect((await activityTypes(laptop.tokens.accessToken, phone.session.id))[0]).toBe('SESSION_REVOKED');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(listener.eventOf('SESSION_REVOKED', phone.session.id)).toBeUndefined();

    relay.hold(false);
    await listener.until(() => !!listener.eventOf('SESSION_REVOKED', phone.session.id));
    await relay.flush();
    expect(listener.events.filter((event) => event.type === 'SESSION_REVOKED')).toHaveLength(1);
  });
});
