import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { ME, REVOKE_ALL, REVOKE_SESSION, TRUST_DEVICE, UNTRUST_DEVICE } from '../helpers/operations.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { EventListener } from '../helpers/ws-client.js';

describe('real-time session events over graphql-ws', () => {
  let app: TestApp;
  let user: TestUser;
  const listeners: EventListener[] = [];
  const listen = async (accessToken: string | undefined, query?: string) => {
    const listener = new EventListener(app.graphql.url, accessToken, query);
    listeners.push(listener);
    return listener.subscribe();
  };

  beforeAll(async () => {
    app = await startTestApp({ ACCESS_TOKEN_TTL: '60m' });
    user = await registerUser(app.graphql);
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((listener) => listener.dispose()));
  });
  afterAll(() => app.close());

  it('tells a device of a login elsewhere and of its revocation, versions rising by exactly one', async () => {
    const laptop = await login(app.graphql, user);
    const listener = await listen(laptop.tokens.accessToken);

    const phone = await login(app.graphql, user);
    await listener.until(() => !!listener.eventOf('SESSION_CREATED', phone.session.id));
    await app.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    await listener.until(() => !!listener.eventOf('SESSION_REVOKED', phone.session.id));

    const [created, revoked] = [listener.eventOf('SESSION_CREATED')!, listener.eventOf('SESSION_REVOKED')!];
    // In between, at most the NEW_DEVICE alert of the phone's first login, with a version of its own.
    const versions = listener.events.map((event) => event.version);
    expect(versions).toEqual(versions.map((_, index) => versions[0] + index));
    expect(revoked.version).toBeGreaterThan(created.version);
    expect(created).toMatchObject({ userId: user.id, session: { id: phone.session.id, status: 'ACTIVE', current: false } });
    expect(created.session!.device.id).toBe(phone.session.device.id);
    expect(revoked.session).toMatchObject({ status: 'REVOKED', endReason: 'REVOKED_BY_USER' });
    expect(new Date(revoked.occurredAt).toISOString()).toBe(revoked.occurredAt);
    expect(listener.closeCode).toBeUndefined();
  });

  it('sends refreshes and device trust changes, each one version after the last', async () => {
    const laptop = await login(app.graphql, user);
    const listener = await listen(laptop.tokens.accessToken);
    const phone = await login(app.graphql, user);
    await refresh(app.graphql, phone.tokens.refreshToken);
    await app.graphql.data(TRUST_DEVICE, { id: phone.session.device.id }, laptop.tokens.accessToken);
    await app.graphql.data(UNTRUST_DEVICE, { id: phone.session.device.id }, laptop.tokens.accessToken);
    await listener.until(() => !!listener.eventOf('DEVICE_UNTRUSTED'));
    await app.settled();

    const changes = listener.events.filter((event) => event.type !== 'ALERT_RAISED');
    expect(changes.map((event) => event.type)).toEqual([
      'SESSION_CREATED',
      'SESSION_REFRESHED',
      'DEVICE_TRUSTED',
      'SESSION_REVOKED',
      'DEVICE_UNTRUSTED',
    ]);
    const versions = listener.events.map((event) => event.version);
    expect(versions).toEqual(versions.map((_, index) => versions[0] + index));
    expect(listener.eventOf('DEVICE_TRUSTED')!.device).toEqual({ id: phone.session.device.id, trusted: true });
    expect(listener.eventOf('SESSION_REVOKED')!.session!.endReason).toBe('DEVICE_UNTRUSTED');
  });

  it('delivers the final event to a device whose own session is revoked, then closes its socket with 4403 within seconds', async () => {
    const phone = await login(app.graphql, user);
    const laptop = await login(app.graphql, user);
    const listener = await listen(phone.tokens.accessToken);

    const revokedAt = Date.now();
    await app.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    await listener.until(() => listener.closeCode !== undefined, 3_000);
    // Well inside SESSION_STATE_TTL, the bound for an instance that missed the end altogether.
    expect(Date.now() - revokedAt).toBeLessThan(3_000);
    expect(listener.closeCode).toBe(4403);
    expect(listener.eventOf('SESSION_REVOKED', phone.session.id)).toMatchObject({ session: { current: true, status: 'REVOKED' } });
    // Then a GraphQL error with the code, before the close: what Apollo Client and urql show the app.
    expect(listener.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SESSION_REVOKED' }) })]);
  });

  it('closes a socket with no subscription when its session ends', async () => {
    const phone = await login(app.graphql, user);
    const listener = new EventListener(app.graphql.url, phone.tokens.accessToken);
    listeners.push(listener);
    await listener.subscribe();
    await app.graphql.data(`mutation { logout }`, {}, phone.tokens.accessToken);
    await listener.until(() => listener.closeCode === 4403);
  });

  it('ends a socket with its session’s idle timeout (the sweeper ends the session)', async () => {
    const { SessionSweeper } = await import('../../src/modules/session/domain/session-sweeper.js');
    const sleeper = await registerUser(app.graphql);
    const phone = await login(app.graphql, sleeper);
    const listener = await listen(phone.tokens.accessToken);
    app.clock.advance(31 * MINUTE);
    await app.tessera.app.get(SessionSweeper).sweep();
    await listener.until(() => !!listener.eventOf('SESSION_EXPIRED', phone.session.id) && listener.closeCode !== undefined);
    expect(listener.closeCode).toBe(4403);
    expect(listener.eventOf('SESSION_EXPIRED', phone.session.id)!.session!.endReason).toBe('IDLE_TIMEOUT');
    expect(listener.errors).toEqual([expect.objectContaining({ extensions: expect.objectContaining({ code: 'SESSION_EXPIRED' }) })]);
  });

  it('never sends one user’s events to another', async () => {
    const stranger = await registerUser(app.graphql);
    const strangerSession = await login(app.graphql, stranger);
    const eavesdropper = await listen(strangerSession.tokens.accessToken);
    const mine = await login(app.graphql, user);
    const listener = await listen(mine.tokens.accessToken);
    const other = await login(app.graphql, user);
    await app.graphql.data(REVOKE_ALL, { input: { exceptCurrent: true } }, mine.tokens.accessToken);
    await listener.until(() => !!listener.eventOf('SESSION_REVOKED', other.session.id));
    // The stranger's own sign-in may still reach it (relayed after it subscribed); nothing of the user's may.
    expect(eavesdropper.events.filter((event) => event.userId !== stranger.id)).toEqual([]);
    expect(listener.events.filter((event) => event.userId !== user.id)).toEqual([]);
  });

  it('refuses a connection_init without a valid token (4401) or for an ended session (4403)', async () => {
    const none = new EventListener(app.graphql.url, undefined);
    const garbage = new EventListener(app.graphql.url, 'not-a-token');
    listeners.push(none, garbage);
    await Promise.all([none.until(() => none.closeCode !== undefined), garbage.until(() => garbage.closeCode !== undefined)]);
    expect([none.closeCode, garbage.closeCode]).toEqual([4401, 4401]);

    const ended = await login(app.graphql, user);
    await app.graphql.data(`mutation { logout }`, {}, ended.tokens.accessToken);
    const revoked = new EventListener(app.graphql.url, ended.tokens.accessToken);
    listeners.push(revoked);
    await revoked.until(() => revoked.closeCode !== undefined);
    expect(revoked.closeCode).toBe(4403);
    expect(revoked.events).toEqual([]);
  });

  it('applies the query limits to subscriptions', async () => {
    const session = await login(app.graphql, user);
    const aliases = Array.from({ length: 16 }, (_, i) => `a${i}: __typename`).join(' ');
    const listener = await listen(session.tokens.accessToken, `subscription { sessionEvents { ${aliases} } }`);
    await listener.until(() => listener.errors.length > 0);
    expect(JSON.stringify(listener.errors)).toContain('BAD_USER_INPUT');
    await expect(app.graphql.data(ME, {}, session.tokens.accessToken)).resolves.toBeTruthy();
  });
});
