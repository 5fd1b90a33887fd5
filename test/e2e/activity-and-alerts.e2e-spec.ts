import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceInput, login, PASSWORD, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { ACKNOWLEDGE, ACTIVITY, ALERTS, CREATE_SESSION, LOGOUT, ME, REFRESH_SESSION, REVOKE_SESSION } from '../helpers/operations.js';
import { MINUTE, SECOND } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { EventListener } from '../helpers/ws-client.js';

const DAY = 24 * 60 * MINUTE;
const ALERT_EVENTS = `subscription { sessionEvents { type version alert { id type severity message sessionId } } }`;

describe('activity log and alerts', () => {
  let app: TestApp;
  let admin: TestUser;
  const listeners: EventListener[] = [];
  const from = (ip: string) => ({ 'x-forwarded-for': ip });
  const loginFrom = async (user: TestUser, ip: string, device = deviceInput()) => {
    const result = await app.graphql.request(
      CREATE_SESSION,
      { input: { email: user.email, password: user.password, device } },
      undefined,
      from(ip),
    );
    if (!result.data) throw new Error(JSON.stringify(result.errors));
    return result.data.createSession;
  };
  const activityOf = async (accessToken: string, variables: Record<string, unknown> = {}) => {
    await app.settled();
    return (await app.graphql.data(ACTIVITY, { first: 100, ...variables }, accessToken)).sessionActivity;
  };
  const alertsOf = async (accessToken: string, variables: Record<string, unknown> = {}) => {
    await app.settled();
    return (await app.graphql.data(ALERTS, variables, accessToken)).sessionAlerts as {
      id: string;
      type: string;
      severity: string;
      acknowledgedAt: string | null;
    }[];
  };

  beforeAll(async () => {
    app = await startTestApp({
      TRUST_PROXY: 'loopback',
      ACCESS_TOKEN_TTL: '60m',
      ADMIN_EMAIL: 'security@example.com',
      ADMIN_PASSWORD: 'a long admin password',
    });
    admin = { id: '', email: 'security@example.com', password: 'a long admin password' };
  });
  afterEach(async () => {
    await Promise.all(listeners.splice(0).map((listener) => listener.dispose()));
  });
  afterAll(() => app.close());

  it('records login, refresh and logout with the client’s IP and user agent', async () => {
    const user = await registerUser(app.graphql);
    const session = await loginFrom(user, '198.51.100.10');
    // The log reads newest first by time (entries of one instant in the order they were written).
    app.clock.advance(SECOND);
    const renewed = (
      await app.graphql.request(REFRESH_SESSION, { input: { refreshToken: session.tokens.refreshToken } }, undefined, from('198.51.100.10'))
    ).data!.refreshSession;
    app.clock.advance(SECOND);
    await app.graphql.request(LOGOUT, {}, renewed.tokens.accessToken, from('198.51.100.11'));
    const observer = await loginFrom(user, '198.51.100.10');

    const { edges } = await activityOf(observer.tokens.accessToken, { filter: { sessionId: session.session.id } });
    const entries = edges.map((edge: { node: Record<string, unknown> }) => edge.node);
    expect(entries.map((entry: { type: string }) => entry.type)).toEqual(['LOGOUT', 'TOKEN_REFRESHED', 'SESSION_CREATED']);
    expect(entries[2]).toMatchObject({
      ipAddress: '198.51.100.10',
      userAgent: 'tessera-e2e/1.0',
      userId: user.id,
      sessionId: session.session.id,
    });
    expect(entries[0]).toMatchObject({ ipAddress: '198.51.100.11', details: { reason: 'LOGOUT' } });
    const everything = JSON.stringify(await activityOf(observer.tokens.accessToken));
    for (const secret of [session.tokens.refreshToken, session.tokens.accessToken, renewed.tokens.refreshToken, PASSWORD]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('pages with first: 1 through every entry exactly once, newest first', async () => {
    const user = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    for (let i = 0; i < 3; i++) {
      app.clock.advance(SECOND);
      await refresh(app.graphql, (await login(app.graphql, user)).tokens.refreshToken);
    }
    const all = (await activityOf(session.tokens.accessToken)).edges.map((edge: { node: { id: string } }) => edge.node.id);
    expect(all.length).toBeGreaterThanOrEqual(8);

    const walked: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = (await app.graphql.data(ACTIVITY, { first: 1, after }, session.tokens.accessToken)).sessionActivity;
      walked.push(...page.edges.map((edge: { node: { id: string } }) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(walked).toEqual(all);
    expect(await app.graphql.errorCode(ACTIVITY, { first: 1, after: 'not-a-cursor' }, session.tokens.accessToken)).toBe('BAD_USER_INPUT');
    expect(await app.graphql.errorCode(ACTIVITY, { first: 1_000 }, session.tokens.accessToken)).toBe('BAD_USER_INPUT');
  });

  it('logs wrong passwords, refuses the sixth attempt from that address with RATE_LIMITED even with the right password, and raises one BRUTE_FORCE alert', async () => {
    const user = await registerUser(app.graphql);
    const attempt = (password: string) =>
      app.graphql.request(
        CREATE_SESSION,
        { input: { email: user.email, password, device: deviceInput() } },
        undefined,
        from('203.0.113.50'),
      );
    for (let i = 0; i < 5; i++) expect((await attempt('wrong password!!')).errors![0].extensions.code).toBe('INVALID_CREDENTIALS');
    const refused = await attempt(user.password);
    expect(refused.errors![0].extensions).toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: expect.any(Number) });
    expect(refused.errors![0].extensions.retryAfterSeconds as number).toBeGreaterThan(0);
    // Failures count per (account, address): the REST attempt comes from the same address.
    const overRest = await fetch(`${app.baseUrl}/api/auth/session/create`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...from('203.0.113.50') },
      body: JSON.stringify({ email: user.email, password: user.password, device: deviceInput() }),
    });
    expect(overRest.status).toBe(429);
    expect(Number(overRest.headers.get('retry-after'))).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) await attempt('wrong password!!');

    const other = await registerUser(app.graphql);
    const adminSession = await login(app.graphql, admin);
    await app.settled();
    const activity = (
      await app.graphql.data(
        ACTIVITY,
        { first: 100, filter: { userId: user.id, types: ['LOGIN_FAILED'] } },
        adminSession.tokens.accessToken,
      )
    ).sessionActivity;
    expect(activity.edges).toHaveLength(5);
    expect(activity.edges[0].node).toMatchObject({ ipAddress: '203.0.113.50', details: { reason: 'INVALID_CREDENTIALS' } });
    const alerts = await alertsOf(adminSession.tokens.accessToken, { userId: user.id });
    expect(alerts.filter((alert) => alert.type === 'BRUTE_FORCE')).toEqual([expect.objectContaining({ severity: 'CRITICAL' })]);
    await expect(login(app.graphql, other)).resolves.toBeTruthy(); // other accounts are not locked
  });

  it('raises one CRITICAL alert on refresh-token reuse, which the victim’s other device receives live', async () => {
    const user = await registerUser(app.graphql);
    const laptop = await login(app.graphql, user);
    const listener = new EventListener(app.graphql.url, laptop.tokens.accessToken, ALERT_EVENTS);
    listeners.push(listener);
    await listener.subscribe();

    const phone = await login(app.graphql, user, deviceInput({ type: 'ANDROID' }));
    const successor = await refresh(app.graphql, phone.tokens.refreshToken);
    await app.graphql.data(ME, {}, successor.tokens.accessToken);
    app.clock.advance(11 * SECOND);
    expect(await app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken: phone.tokens.refreshToken } })).toBe(
      'REFRESH_TOKEN_REUSED',
    );
    expect(await app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken: phone.tokens.refreshToken } })).toBe('SESSION_REVOKED');

    const isReuse = () =>
      listener.events.some((event) => (event as unknown as { alert?: { type: string } }).alert?.type === 'REFRESH_TOKEN_REUSE');
    await listener.until(isReuse);
    const alerts = await alertsOf(laptop.tokens.accessToken);
    const reuse = alerts.filter((alert) => alert.type === 'REFRESH_TOKEN_REUSE');
    expect(reuse).toEqual([expect.objectContaining({ severity: 'CRITICAL', acknowledgedAt: null })]);
    expect(alerts.map((alert) => alert.type)).toContain('NEW_DEVICE');

    await app.graphql.data(ACKNOWLEDGE, { id: reuse[0].id }, laptop.tokens.accessToken);
    const open = await alertsOf(laptop.tokens.accessToken, { unacknowledgedOnly: true });
    expect(open.map((alert) => alert.id)).not.toContain(reuse[0].id);
    expect((await alertsOf(laptop.tokens.accessToken)).map((alert) => alert.id)).toContain(reuse[0].id);
  });

  it('raises NEW_IP_ADDRESS once for an address not used in the last 30 days, and again once 30 days have passed', async () => {
    const user = await registerUser(app.graphql);
    const device = deviceInput();
    const first = await loginFrom(user, '192.0.2.1', device);
    await loginFrom(user, '192.0.2.1', device);
    expect((await alertsOf(first.tokens.accessToken)).map((alert) => alert.type)).toEqual([]);

    await loginFrom(user, '192.0.2.99', device);
    await loginFrom(user, '192.0.2.99', device);
    const afterNew = await alertsOf(first.tokens.accessToken);
    expect(afterNew.map((alert) => alert.type)).toEqual(['NEW_IP_ADDRESS']);

    app.clock.advance(31 * DAY);
    const back = await loginFrom(user, '192.0.2.1', device);
    const alerts = await alertsOf(back.tokens.accessToken);
    expect(alerts.map((alert) => alert.type)).toEqual(['NEW_IP_ADDRESS', 'NEW_IP_ADDRESS']);
  });

  it('raises NEW_IP_ADDRESS for a refresh from a new address, recorded with the rotation itself', async () => {
    const user = await registerUser(app.graphql);
    const login = await loginFrom(user, '192.0.2.10');
    const refreshFrom = async (refreshToken: string, ip: string) => {
      app.clock.advance(SECOND);
      return (await app.graphql.request(REFRESH_SESSION, { input: { refreshToken } }, undefined, from(ip))).data!.refreshSession;
    };
    const atHome = await refreshFrom(login.tokens.refreshToken, '192.0.2.10');
    expect(await alertsOf(atHome.tokens.accessToken)).toEqual([]);

    const abroad = await refreshFrom(atHome.tokens.refreshToken, '203.0.113.77');
    const alerts = await alertsOf(abroad.tokens.accessToken);
    expect(alerts.map((alert) => alert.type)).toEqual(['NEW_IP_ADDRESS']);
    const { edges } = await activityOf(abroad.tokens.accessToken, { filter: { sessionId: login.session.id } });
    expect(edges.map((edge: { node: { type: string; ipAddress: string } }) => [edge.node.type, edge.node.ipAddress])).toEqual([
      ['ALERT_RAISED', '203.0.113.77'],
      ['TOKEN_REFRESHED', '203.0.113.77'],
      ['TOKEN_REFRESHED', '192.0.2.10'],
      ['SESSION_CREATED', '192.0.2.10'],
    ]);

    // The address is known now: its next refresh is no news.
    await refreshFrom(abroad.tokens.refreshToken, '203.0.113.77');
    app.clock.advance(11 * MINUTE); // past the folding window, so a second alert would show
    const again = await refreshFrom((await refreshFrom(abroad.tokens.refreshToken, '203.0.113.77')).tokens.refreshToken, '203.0.113.77');
    expect((await alertsOf(again.tokens.accessToken)).map((alert) => alert.type)).toEqual(['NEW_IP_ADDRESS']);
  });

  it('lets admins read any user’s activity and alerts, tells the user of an admin’s revocation, and forbids the rest', async () => {
    const user = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    const adminSession = await login(app.graphql, admin);
    await app.graphql.data(REVOKE_SESSION, { id: session.session.id }, adminSession.tokens.accessToken);
    await app.settled();

    const alerts = await alertsOf(adminSession.tokens.accessToken, { userId: user.id });
    expect(alerts.map((alert) => alert.type)).toContain('SESSION_REVOKED_BY_ADMIN');
    const activity = (await app.graphql.data(ACTIVITY, { filter: { userId: user.id } }, adminSession.tokens.accessToken)).sessionActivity;
    const revocation = activity.edges.find((edge: { node: { type: string } }) => edge.node.type === 'SESSION_REVOKED');
    expect(revocation.node).toMatchObject({ sessionId: session.session.id, details: { reason: 'REVOKED_BY_ADMIN' } });

    const stranger = await login(app.graphql, await registerUser(app.graphql));
    expect(await app.graphql.errorCode(ACTIVITY, { filter: { userId: user.id } }, stranger.tokens.accessToken)).toBe('FORBIDDEN');
    expect(await app.graphql.errorCode(ALERTS, { userId: user.id }, stranger.tokens.accessToken)).toBe('FORBIDDEN');
    expect(await app.graphql.errorCode(ACKNOWLEDGE, { id: alerts[0].id }, stranger.tokens.accessToken)).toBe('NOT_FOUND');
  });

  it('prunes activity older than ACTIVITY_RETENTION', async () => {
    const { SessionActivityService } = await import('../../src/modules/activity/domain/session-activity.service.js');
    const user = await registerUser(app.graphql);
    await login(app.graphql, user);
    await app.settled();
    app.clock.advance(91 * DAY);
    await app.tessera.app.get(SessionActivityService).maintain();
    const fresh = await login(app.graphql, user);
    const { edges } = await activityOf(fresh.tokens.accessToken);
    expect(
      edges.every((edge: { node: { occurredAt: string } }) => Date.parse(edge.node.occurredAt) >= app.clock.now().getTime() - MINUTE),
    ).toBe(true);
  });
});
