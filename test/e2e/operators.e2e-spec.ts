import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { deviceInput, login, PASSWORD, refresh, registerUser } from '../factories/session.factory.js';
import { metric } from '../helpers/metrics.js';
import { CREATE_SESSION, ME } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('what operators see', () => {
  let app: TestApp;
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];

  beforeAll(async () => {
    const capture = new PassThrough();
    capture.on('data', (chunk: Buffer) => {
      for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
        raw.push(text);
        lines.push(JSON.parse(text) as Record<string, unknown>);
      }
    });
    app = await startTestApp({ LOG_LEVEL: 'info' }, { logDestination: capture });
  });
  afterAll(() => app.close());

  it('writes JSON lines with a request id and never a token or a password', async () => {
    const user = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    const renewed = await refresh(app.graphql, session.tokens.refreshToken);
    await app.graphql.data(ME, {}, renewed.tokens.accessToken);
    await rest(app.baseUrl, 'POST', '/api/auth/session/refresh', { body: { refreshToken: renewed.tokens.refreshToken } });
    await app.graphql.request(CREATE_SESSION, { input: { email: user.email, password: 'not my password!!', device: deviceInput() } });
    await app.graphql.request(ME, {}, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.');
    await app.settled();

    const requests = lines.filter((line) => line.msg === 'request');
    expect(requests.length).toBeGreaterThanOrEqual(6);
    expect(requests.every((line) => typeof line.requestId === 'string' && line.path !== undefined)).toBe(true);
    expect(requests.filter((line) => line.path === '/graphql').length).toBeGreaterThanOrEqual(4);
    const created = lines.find((line) => line.securityEvent === 'SESSION_CREATED' && line.sessionId === session.session.id);
    expect(created).toMatchObject({ userId: user.id, requestId: expect.any(String), level: 30 });
    expect(lines.some((line) => line.securityEvent === 'LOGIN_FAILED' && line.userId === user.id)).toBe(true);

    const everything = raw.join('\n');
    for (const secret of [
      session.tokens.accessToken,
      session.tokens.refreshToken,
      renewed.tokens.accessToken,
      renewed.tokens.refreshToken,
      PASSWORD,
      'not my password!!',
    ]) {
      expect(everything).not.toContain(secret);
    }
  });

  it('echoes a caller’s X-Request-Id and makes one up otherwise', async () => {
    const echoed = await fetch(`${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'trace-1234' } });
    expect(echoed.headers.get('x-request-id')).toBe('trace-1234');
    const invented = await fetch(`${app.baseUrl}/health/live`, { headers: { 'x-request-id': 'bad id with spaces and / slashes' } });
    expect(invented.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('serves Prometheus counters that move with logins, refreshes and failures', async () => {
    const scrape = async () => await (await fetch(`${app.baseUrl}/metrics`)).text();
    const before = await scrape();
    const user = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    await refresh(app.graphql, session.tokens.refreshToken);
    await app.graphql.request(CREATE_SESSION, { input: { email: user.email, password: 'not my password!!', device: deviceInput() } });
    await app.settled();
    const after = await scrape();

    expect(metric(after, 'tessera_sessions_created_total') - metric(before, 'tessera_sessions_created_total')).toBe(1);
    expect(
      metric(after, 'tessera_refreshes_total', 'outcome="rotated"') - metric(before, 'tessera_refreshes_total', 'outcome="rotated"'),
    ).toBe(1);
    expect(
      metric(after, 'tessera_login_failures_total', 'reason="invalid_credentials"') -
        metric(before, 'tessera_login_failures_total', 'reason="invalid_credentials"'),
    ).toBe(1);
    expect(metric(after, 'tessera_login_duration_seconds_count') - metric(before, 'tessera_login_duration_seconds_count')).toBe(2);
    // The login's SESSION_CREATED and the refresh's SESSION_REFRESHED went through the outbox.
    expect(metric(after, 'tessera_outbox_events_relayed_total') - metric(before, 'tessera_outbox_events_relayed_total')).toBe(2);
    expect(after).toContain('tessera_outbox_relay_failures_total 0');
    expect(after).toContain('# TYPE tessera_refresh_duration_seconds histogram');
    expect(after).toContain('tessera_websocket_connections 0');
    expect(after).toContain('tessera_websocket_subscriptions 0');
    expect(after).toContain('tessera_process_cpu_seconds_total');
  });

  it('answers liveness and readiness', async () => {
    expect((await rest(app.baseUrl, 'GET', '/health/live')).body).toEqual({ status: 'ok' });
    expect((await rest(app.baseUrl, 'GET', '/health/ready')).body).toMatchObject({ status: 'ok', info: { database: { status: 'up' } } });
  });
});
