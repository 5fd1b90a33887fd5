import { describe, expect, it } from '@jest/globals';
import { ConfigError, loadConfig } from './app-config.js';

const KEY = Buffer.alloc(32, 7).toString('base64');
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

function configError(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('starts with the documented defaults on an empty environment (embedded mode)', () => {
    const sut = loadConfig({});
    expect(sut).toMatchObject({
      port: 3000,
      database: { kind: 'embedded', dataDir: './data' },
      accessTokenTtlMs: 15 * MINUTE,
      refreshTokenTtlMs: 7 * DAY,
      trustedDeviceRefreshTokenTtlMs: 30 * DAY,
      sessionIdleTimeoutMs: 30 * MINUTE,
      refreshReuseGraceMs: 10_000,
      maxSessionsPerUser: 10,
      jwtIssuer: 'http://localhost:3000',
      jwtAudience: 'tessera',
      jwtClientId: 'tessera-app',
    });
  });

  it('derives the development issuer from the port the service listens on', () => {
    expect(loadConfig({ PORT: '4123' }).jwtIssuer).toBe('http://localhost:4123');
    expect(loadConfig({ PORT: '4123', JWT_ISSUER: 'https://auth.example.com' }).jwtIssuer).toBe('https://auth.example.com');
    expect(configError({ PORT: '0' })).toContain('JWT_ISSUER must be set when PORT=0');
    expect(loadConfig({ PORT: '0', JWT_ISSUER: 'http://localhost:8080' }).jwtIssuer).toBe('http://localhost:8080');
  });

  it('refuses an issuer that is not an http(s) URL without query or fragment (RFC 8414 builds URLs from it)', () => {
    expect(configError({ JWT_ISSUER: 'tessera' })).toContain('JWT_ISSUER=tessera is not a URL');
    expect(configError({ JWT_ISSUER: 'urn:example:tessera' })).toContain('must be an https://');
    expect(configError({ JWT_ISSUER: 'https://auth.example.com/?tenant=a' })).toContain('no query or fragment');
    expect(configError({ JWT_ISSUER: 'https://auth.example.com#x' })).toContain('no query or fragment');
    expect(loadConfig({ JWT_ISSUER: 'https://example.com/auth' }).jwtIssuer).toBe('https://example.com/auth');
  });

  it('takes the access tokens’ client_id from JWT_CLIENT_ID, one visible token', () => {
    expect(loadConfig({ JWT_CLIENT_ID: 'acme-mobile' }).jwtClientId).toBe('acme-mobile');
    expect(configError({ JWT_CLIENT_ID: 'two words' })).toContain('JWT_CLIENT_ID must be 1–255 visible ASCII characters');
  });

  it.each([
    ['ACCESS_TOKEN_TTL', '5m', '15m–60m'],
    ['ACCESS_TOKEN_TTL', '61m', '15m–60m'],
    ['REFRESH_TOKEN_TTL', '90d', '7d–30d'],
    ['REFRESH_TOKEN_TTL', '6d', '7d–30d'],
    ['SESSION_IDLE_TIMEOUT', '25h', '1m–24h'],
    ['REFRESH_REUSE_GRACE', '61s', '0–60s'],
  ])('refuses %s=%s in one line naming the variable and the range %s', (name, value, range) => {
    const message = configError({ [name]: value });
    expect(message).toContain(`${name}=${value}`);
    expect(message).toContain(range);
    expect(message).not.toContain('\n');
  });

  it('accepts the bounds themselves', () => {
    const sut = loadConfig({ ACCESS_TOKEN_TTL: '60m', REFRESH_TOKEN_TTL: '30d', REFRESH_REUSE_GRACE: '0' });
    expect(sut.accessTokenTtlMs).toBe(60 * MINUTE);
    expect(sut.refreshTokenTtlMs).toBe(30 * DAY);
    expect(sut.refreshReuseGraceMs).toBe(0);
  });

  it('refuses a duration it cannot read', () => {
    expect(configError({ ACCESS_TOKEN_TTL: 'fifteen minutes' })).toContain('ACCESS_TOKEN_TTL=fifteen minutes is not a duration');
  });

  it('refuses MAX_SESSIONS_PER_USER outside 1–100', () => {
    expect(configError({ MAX_SESSIONS_PER_USER: '0' })).toContain('MAX_SESSIONS_PER_USER=0');
    expect(configError({ MAX_SESSIONS_PER_USER: '101' })).toContain('1–100');
  });

  it('demands a trusted-device lifetime at least as long as the untrusted one', () => {
    expect(configError({ REFRESH_TOKEN_TTL: '20d', TRUSTED_DEVICE_REFRESH_TOKEN_TTL: '10d' })).toContain(
      'TRUSTED_DEVICE_REFRESH_TOKEN_TTL must be at least REFRESH_TOKEN_TTL',
    );
  });

  it('requires DATA_ENCRYPTION_KEY with DATABASE_URL, and a 32-byte one', () => {
    expect(configError({ DATABASE_URL: 'postgres://localhost/tessera' })).toContain('DATA_ENCRYPTION_KEY is required');
    expect(configError({ DATABASE_URL: 'postgres://localhost/tessera', DATA_ENCRYPTION_KEY: 'c2hvcnQ=' })).toContain('32 bytes');
    const sut = loadConfig({ DATABASE_URL: 'postgres://localhost/tessera', DATA_ENCRYPTION_KEY: KEY });
    expect(sut.database).toEqual({ kind: 'postgres', url: 'postgres://localhost/tessera' });
    expect(sut.dataEncryptionKey).toHaveLength(32);
  });

  it('refuses a DATABASE_URL that is not a postgres URL', () => {
    expect(configError({ DATABASE_URL: 'mysql://localhost/x', DATA_ENCRYPTION_KEY: KEY })).toContain('DATABASE_URL must be a postgres:');
  });

  it('demands explicit secrets and issuer in production', () => {
    const message = configError({ NODE_ENV: 'production' });
    expect(message).toContain('JWT_ISSUER and JWT_AUDIENCE');
    expect(message).toContain('DATA_ENCRYPTION_KEY is required');
  });

  it('takes the admin bootstrap only as a pair', () => {
    expect(configError({ ADMIN_EMAIL: 'root@example.com' })).toContain('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  });

  it('refuses TRUST_PROXY=true, which would let a client pick its own address with X-Forwarded-For', () => {
    expect(configError({ TRUST_PROXY: 'true' })).toContain('TRUST_PROXY=true would let any client choose its address');
  });

  it('takes TRUST_PROXY as a hop count or a list of proxy addresses and CIDRs', () => {
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: '0' }).trustProxy).toBeUndefined();
    expect(loadConfig({ TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,::1,loopback' }).trustProxy).toEqual([
      '10.0.0.1',
      '192.168.0.0/16',
      '::1',
      'loopback',
    ]);
    expect(configError({ TRUST_PROXY: '10.0.0.0/33,proxy.local' })).toContain('TRUST_PROXY has 10.0.0.0/33, proxy.local');
  });

  it('bounds the socket caps and documents their defaults', () => {
    expect(loadConfig({}).socketLimits).toEqual({ connectionsPerSession: 10, connectionsPerUser: 30, subscriptionsPerConnection: 10 });
    expect(configError({ WS_MAX_CONNECTIONS_PER_SESSION: '0' })).toContain('WS_MAX_CONNECTIONS_PER_SESSION=0 is out of bounds');
  });
});
