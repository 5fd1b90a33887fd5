import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { login, registerUser } from '../factories/session.factory.js';
import { GraphQLSocket } from '../helpers/graphql-ws-socket.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('production mode', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp({
      NODE_ENV: 'production',
      JWT_ISSUER: 'https://auth.example.com',
      JWT_AUDIENCE: 'trading-api',
      DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      CORS_ORIGINS: 'https://app.example.com',
    });
  });
  afterAll(() => app.close());

  it('turns schema introspection and the Sandbox page off', async () => {
    const introspection = await app.graphql.request(getIntrospectionQuery());
    expect(introspection.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    const page = await fetch(app.graphql.url, { headers: { accept: 'text/html' } });
    expect(await page.text()).not.toContain('Apollo');
  });

  it('refuses schema introspection over graphql-ws as well', async () => {
    const { tokens } = await login(app.graphql, await registerUser(app.graphql));
    const socket = new GraphQLSocket(app.graphql.url, tokens.accessToken);
    try {
      await socket.connected;
      const introspection = await socket.request(getIntrospectionQuery());
      expect(introspection.errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
      expect(introspection.data).toBeUndefined();
      expect((await socket.request('{ __type(name: "Session") { fields { name } } }')).errors?.[0]?.extensions.code).toBe('BAD_USER_INPUT');
    } finally {
      await socket.dispose();
    }
  });

  it('sends security headers, with a content security policy', async () => {
    const response = await fetch(`${app.baseUrl}/health/live`);
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('strict-transport-security')).toContain('max-age=');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-powered-by')).toBeNull();
  });

  it('allows CORS only from CORS_ORIGINS', async () => {
    const preflight = (origin: string) =>
      fetch(app.graphql.url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST' } });
    expect((await preflight('https://app.example.com')).headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect((await preflight('https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
