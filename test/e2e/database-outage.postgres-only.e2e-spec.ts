import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { login, refresh, registerUser, type LoginResult, type TestUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { ME, REFRESH_SESSION } from '../helpers/operations.js';
import { rest } from '../helpers/rest-client.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

describe('when PostgreSQL is unreachable', () => {
  let database: TestDatabase;
  let proxy: TcpProxy;
  let tessera: TesseraApp;
  let graphql: GraphQLTestClient;
  let baseUrl: string;
  let user: TestUser;
  let session: LoginResult;

  beforeAll(async () => {
    database = await createTestDatabase();
    const target = new URL(database.env.DATABASE_URL);
    proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    target.hostname = '127.0.0.1';
    target.port = String(proxy.port);
    tessera = await createTesseraApp(
      loadConfig({ DATABASE_URL: target.toString(), DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'), LOG_LEVEL: 'silent' }),
    );
    await tessera.app.listen(0, '127.0.0.1');
    baseUrl = `http://127.0.0.1:${(tessera.app.getHttpServer().address() as AddressInfo).port}`;
    graphql = new GraphQLTestClient(`${baseUrl}/graphql`);
    user = await registerUser(graphql);
    session = await login(graphql, user);
  });

  afterAll(async () => {
    await proxy.restore();
    await tessera.close();
    await proxy.cut();
    await database.drop();
  });

  it('refuses authenticated calls, logins and refreshes with SERVICE_UNAVAILABLE, then recovers by itself, losing nothing', async () => {
    const db = tessera.app.get(DataSource);
    const countRows = async () =>
      (
        await db.query(
          `SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT sum(refresh_generation) FROM sessions) AS generations,
                  (SELECT count(*) FROM session_activity) AS activity`,
        )
      )[0];
    const before = await countRows();
    await proxy.cut();
    const started = Date.now();
    expect(await graphql.errorCode(ME, {}, session.tokens.accessToken)).toBe('SERVICE_UNAVAILABLE');
    expect(await graphql.errorCode(REFRESH_SESSION, { input: { refreshToken: session.tokens.refreshToken } })).toBe('SERVICE_UNAVAILABLE');
    const restLogin = await rest(baseUrl, 'POST', '/api/auth/session/create', {
      body: { email: user.email, password: user.password, device: { deviceId: 'outage-device-1', type: 'WEB' } },
    });
    expect(restLogin.status).toBe(503);
    expect(restLogin.body.error.code).toBe('SERVICE_UNAVAILABLE');
    expect(restLogin.headers.get('retry-after')).toBe('5');
    const revoke = await fetch(`${baseUrl}/oauth/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: session.tokens.refreshToken }).toString(),
    });
    expect(revoke.status).toBe(503);
    expect(revoke.headers.get('retry-after')).toBe('5');
    const ready = await rest(baseUrl, 'GET', '/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    expect((await rest(baseUrl, 'GET', '/health/live')).status).toBe(200);
    expect(Date.now() - started).toBeLessThan(20_000);

    await proxy.restore();
    await expect(graphql.data(ME, {}, session.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
    const renewed = await refresh(graphql, session.tokens.refreshToken);
    expect(renewed.session.id).toBe(session.session.id);
    expect((await rest(baseUrl, 'GET', '/health/ready')).status).toBe(200);
    const after = await countRows();
    expect(Number(after.sessions)).toBe(Number(before.sessions));
    // Exactly one rotation: the refresh after recovery, none of those refused during the outage.
    expect(Number(after.generations)).toBe(Number(before.generations) + 1);
    // The refresh's activity entry commits with the rotation itself.
    expect(Number(after.activity)).toBeGreaterThanOrEqual(Number(before.activity) + 1);
  });
});
