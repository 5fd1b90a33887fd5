import { isIP } from 'node:net';
import { formatDuration, parseDuration } from './duration.js';

export type DatabaseConfig = { readonly kind: 'postgres'; readonly url: string } | { readonly kind: 'embedded'; readonly dataDir: string };

export interface AppConfig {
  readonly nodeEnv: 'development' | 'production' | 'test';
  readonly port: number;
  readonly dataDir: string;
  readonly database: DatabaseConfig;
  readonly redisUrl?: string;
  readonly accessTokenTtlMs: number;
  readonly refreshTokenTtlMs: number;
  readonly trustedDeviceRefreshTokenTtlMs: number;
  readonly sessionIdleTimeoutMs: number;
  readonly refreshReuseGraceMs: number;
  readonly maxSessionsPerUser: number;
  /** How often the sweeper ends idle and expired sessions. */
  readonly sessionSweepIntervalMs: number;
  /**
   * `iss` of every access token and the metadata's `issuer`. Without JWT_ISSUER (development
   * only) it is `http://localhost:<PORT>`, fixed at start-up: never taken from a request's Host.
   */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** RFC 9068 §2.2 `client_id` of every access token: the apps that log in through this service. */
  readonly jwtClientId: string;
  readonly signingKeyFile?: string;
  /** 32 bytes. Absent only in embedded mode, where the database module generates one into DATA_DIR. */
  readonly dataEncryptionKey?: Buffer;
  readonly activityRetentionMs: number;
  /** How often each instance's outbox relay looks for committed events no process woke it for. */
  readonly outboxPollIntervalMs: number;
  /** How long a sent real-time event stays for subscribers asking for what they missed (`since`). */
  readonly outboxRetentionMs: number;
  /** Failed logins per (account, client address) within the window before that pair is refused. */
  readonly loginMaxFailures: number;
  readonly loginFailureWindowMs: number;
  /** Failed logins per account from all addresses within a day: the ceiling a distributed guesser meets. */
  readonly loginAccountDailyMaxFailures: number;
  /** Refreshes per client IP and minute. */
  readonly refreshRateLimitPerMinute: number;
  /** Registrations per client IP and hour (each costs an argon2id hash). */
  readonly registrationRateLimitPerHour: number;
  /** How long an instance trusts a session's cached state, and how often open sockets' sessions are re-checked. */
  readonly sessionStateTtlMs: number;
  /** How recent a session's last proof of identity must be for a sensitive operation (step-up). */
  readonly reauthenticationMaxAgeMs: number;
  /** How far a DPoP proof's `iat` may be from now, either way; its `jti` is remembered this long. */
  readonly dpopProofWindowMs: number;
  /** How long a server DPoP nonce is handed out before the next one (each is accepted for two periods). */
  readonly dpopNoncePeriodMs: number;
  readonly socketLimits: {
    readonly connectionsPerSession: number;
    readonly connectionsPerUser: number;
    readonly subscriptionsPerConnection: number;
  };
  readonly admin?: { readonly email: string; readonly password: string };
  readonly introspection?: { readonly clientId: string; readonly clientSecret: string };
  readonly corsOrigins: readonly string[];
  /** Express "trust proxy": a hop count, or the proxies' addresses and CIDRs; never `true`. */
  readonly trustProxy?: number | readonly string[];
  readonly logLevel: string;
  /** Serve Swagger UI at /api/docs and the OpenAPI document at /api/docs-json. */
  readonly apiDocs: boolean;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Env = Readonly<Record<string, string | undefined>>;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/**
 * Turns the environment into a typed, bounded configuration. The only place that
 * interprets environment variables: everything else receives an AppConfig.
 * Throws a ConfigError whose message is one line naming every bad variable.
 */
export function loadConfig(env: Env): AppConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };

  /** Bounds are written as in DESIGN.md's table, so that the message quotes the table. */
  const duration = (name: string, fallback: string, min: string, max: string): number => {
    const text = read(name) ?? fallback;
    const ms = parseDuration(text);
    if (ms === undefined) {
      problems.push(`${name}=${text} is not a duration (use e.g. 30s, 15m, 7d); allowed ${min}–${max}`);
      return parseDuration(fallback)!;
    }
    if (ms < parseDuration(min)! || ms > parseDuration(max)!) {
      problems.push(`${name}=${text} is out of bounds; allowed ${min}–${max}`);
    }
    return ms;
  };

  const integer = (name: string, fallback: number, min: number, max: number): number => {
    const text = read(name);
    if (text === undefined) return fallback;
    const value = /^\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      problems.push(`${name}=${text} is out of bounds; allowed an integer ${min}–${max}`);
      return fallback;
    }
    return value;
  };

  const url = (name: string, protocols: readonly string[]): string | undefined => {
    const text = read(name);
    if (text === undefined) return undefined;
    try {
      const parsed = new URL(text);
      if (protocols.includes(parsed.protocol)) return text;
    } catch {
      // reported below
    }
    problems.push(`${name} must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL`);
    return undefined;
  };

  const nodeEnvText = read('NODE_ENV') ?? 'development';
  if (!['development', 'production', 'test'].includes(nodeEnvText)) {
    problems.push(`NODE_ENV=${nodeEnvText} is not one of development, production, test`);
  }
  const nodeEnv = (['development', 'production', 'test'].includes(nodeEnvText) ? nodeEnvText : 'development') as AppConfig['nodeEnv'];
  const production = nodeEnv === 'production';

  const port = integer('PORT', 3000, 0, 65_535);
  const dataDir = read('DATA_DIR') ?? './data';
  const databaseUrl = url('DATABASE_URL', ['postgres:', 'postgresql:']);
  const redisUrl = url('REDIS_URL', ['redis:', 'rediss:']);

  const accessTokenTtlMs = duration('ACCESS_TOKEN_TTL', '15m', '15m', '60m');
  const refreshTokenTtlMs = duration('REFRESH_TOKEN_TTL', '7d', '7d', '30d');
  const trustedDeviceRefreshTokenTtlMs = duration('TRUSTED_DEVICE_REFRESH_TOKEN_TTL', '30d', '7d', '30d');
  const lifetimesInBounds = !problems.some((p) => /^(TRUSTED_DEVICE_)?REFRESH_TOKEN_TTL=/.test(p));
  if (lifetimesInBounds && trustedDeviceRefreshTokenTtlMs < refreshTokenTtlMs) {
    problems.push(`TRUSTED_DEVICE_REFRESH_TOKEN_TTL must be at least REFRESH_TOKEN_TTL (${formatDuration(refreshTokenTtlMs)})`);
  }
  const sessionIdleTimeoutMs = duration('SESSION_IDLE_TIMEOUT', '30m', '1m', '24h');
  const refreshReuseGraceMs = duration('REFRESH_REUSE_GRACE', '10s', '0', '60s');
  const maxSessionsPerUser = integer('MAX_SESSIONS_PER_USER', 10, 1, 100);
  const sessionSweepIntervalMs = duration('SESSION_SWEEP_INTERVAL', '1m', '1s', '1h');
  const activityRetentionMs = duration('ACTIVITY_RETENTION', '90d', '1d', '3650d');
  const outboxPollIntervalMs = duration('OUTBOX_POLL_INTERVAL', '1s', '100ms', '1m');
  const outboxRetentionMs = duration('OUTBOX_RETENTION', '24h', '1m', '30d');
  const loginMaxFailures = integer('LOGIN_MAX_FAILURES', 5, 1, 1000);
  const loginFailureWindowMs = duration('LOGIN_FAILURE_WINDOW', '15m', '1m', '24h');
  const loginAccountDailyMaxFailures = integer('LOGIN_ACCOUNT_DAILY_MAX_FAILURES', 100, 1, 100_000);
  const refreshRateLimitPerMinute = integer('REFRESH_RATE_LIMIT', 600, 1, 10_000_000);
  const registrationRateLimitPerHour = integer('REGISTRATION_RATE_LIMIT', 10, 1, 100_000);
  const sessionStateTtlMs = duration('SESSION_STATE_TTL', '5s', '1s', '60s');
  const reauthenticationMaxAgeMs = duration('REAUTHENTICATION_MAX_AGE', '10m', '1m', '24h');
  const dpopProofWindowMs = duration('DPOP_PROOF_WINDOW', '60s', '5s', '5m');
  const dpopNoncePeriodMs = duration('DPOP_NONCE_PERIOD', '5m', '10s', '1h');
  const socketLimits = {
    connectionsPerSession: integer('WS_MAX_CONNECTIONS_PER_SESSION', 10, 1, 10_000),
    connectionsPerUser: integer('WS_MAX_CONNECTIONS_PER_USER', 30, 1, 10_000),
    subscriptionsPerConnection: integer('WS_MAX_SUBSCRIPTIONS_PER_CONNECTION', 10, 1, 100),
  };
  const trustProxy = parseTrustProxy(read('TRUST_PROXY'), problems);

  const explicitIssuer = read('JWT_ISSUER');
  const jwtAudience = read('JWT_AUDIENCE');
  if (production && (!explicitIssuer || !jwtAudience)) {
    problems.push('JWT_ISSUER and JWT_AUDIENCE must be set explicitly when NODE_ENV=production');
  }
  if (explicitIssuer !== undefined) {
    const problem = issuerProblem(explicitIssuer);
    if (problem) problems.push(`JWT_ISSUER=${explicitIssuer} ${problem}`);
  } else if (!production && port === 0) {
    problems.push('JWT_ISSUER must be set when PORT=0: the issuer is derived from the port, and 0 picks one at random');
  }
  const jwtIssuer = explicitIssuer ?? defaultIssuer(port);
  const jwtClientId = read('JWT_CLIENT_ID') ?? DEFAULT_CLIENT_ID;
  if (!/^[\x21-\x7e]{1,255}$/.test(jwtClientId)) {
    problems.push('JWT_CLIENT_ID must be 1–255 visible ASCII characters without spaces');
  }

  let dataEncryptionKey: Buffer | undefined;
  const keyText = read('DATA_ENCRYPTION_KEY');
  if (keyText !== undefined) {
    const decoded = Buffer.from(keyText, 'base64');
    if (decoded.length !== 32) {
      problems.push('DATA_ENCRYPTION_KEY must be 32 bytes, base64-encoded (openssl rand -base64 32)');
    } else {
      dataEncryptionKey = decoded;
    }
  } else if (databaseUrl !== undefined || production) {
    problems.push(
      'DATA_ENCRYPTION_KEY is required when DATABASE_URL is set or NODE_ENV=production (32 bytes, base64; the same on every instance)',
    );
  }

  const adminEmail = read('ADMIN_EMAIL');
  const adminPassword = read('ADMIN_PASSWORD');
  if ((adminEmail === undefined) !== (adminPassword === undefined)) {
    problems.push('ADMIN_EMAIL and ADMIN_PASSWORD must be set together');
  }

  const introspectionId = read('INTROSPECTION_CLIENT_ID');
  const introspectionSecret = read('INTROSPECTION_CLIENT_SECRET');
  if ((introspectionId === undefined) !== (introspectionSecret === undefined)) {
    problems.push('INTROSPECTION_CLIENT_ID and INTROSPECTION_CLIENT_SECRET must be set together');
  }

  const logLevel = read('LOG_LEVEL') ?? 'info';
  // Off in production unless asked for, like GraphQL introspection: the document is a map of the API.
  const apiDocsText = read('API_DOCS') ?? (production ? 'false' : 'true');
  if (apiDocsText !== 'true' && apiDocsText !== 'false') problems.push(`API_DOCS=${apiDocsText} is not one of true, false`);
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${logLevel} is not one of ${LOG_LEVELS.join(', ')}`);
  }

  if (problems.length > 0) {
    throw new ConfigError(`Invalid configuration: ${problems.join('; ')}`);
  }

  return {
    nodeEnv,
    port,
    dataDir,
    database: databaseUrl ? { kind: 'postgres', url: databaseUrl } : { kind: 'embedded', dataDir },
    redisUrl,
    accessTokenTtlMs,
    refreshTokenTtlMs,
    trustedDeviceRefreshTokenTtlMs,
    sessionIdleTimeoutMs,
    refreshReuseGraceMs,
    maxSessionsPerUser,
    sessionSweepIntervalMs,
    jwtIssuer,
    jwtAudience: jwtAudience ?? 'tessera',
    jwtClientId,
    signingKeyFile: read('SIGNING_KEY_FILE'),
    dataEncryptionKey,
    activityRetentionMs,
    outboxPollIntervalMs,
    outboxRetentionMs,
    loginMaxFailures,
    loginFailureWindowMs,
    loginAccountDailyMaxFailures,
    refreshRateLimitPerMinute,
    registrationRateLimitPerHour,
    sessionStateTtlMs,
    reauthenticationMaxAgeMs,
    dpopProofWindowMs,
    dpopNoncePeriodMs,
    socketLimits,
    admin: adminEmail && adminPassword ? { email: adminEmail, password: adminPassword } : undefined,
    introspection: introspectionId && introspectionSecret ? { clientId: introspectionId, clientSecret: introspectionSecret } : undefined,
    corsOrigins: (read('CORS_ORIGINS') ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean),
    trustProxy,
    logLevel,
    apiDocs: apiDocsText === 'true',
  };
}

/** RFC 9068's `client_id` when JWT_CLIENT_ID is unset: one client, the apps that sign in here. */
export const DEFAULT_CLIENT_ID = 'tessera-app';

/**
 * The development issuer: the port this process listens on, known before it serves anything.
 * A request's Host header is never used: anyone can send any Host, and an issuer taken from it
 * would let a caller have tokens minted under a name of their choosing.
 */
export function defaultIssuer(port: number): string {
  return `http://localhost:${port}`;
}

/**
 * RFC 8414 §2 and RFC 9068 §2.2: the issuer is an http(s) URL without query or fragment, since
 * the metadata's well-known location and every endpoint in it are built from it.
 */
function issuerProblem(text: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(text);
  } catch {
    return 'is not a URL (use the address other services reach this one at, e.g. https://auth.example.com)';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'must be an https:// (or http://) URL';
  if (parsed.search !== '' || parsed.hash !== '' || text.includes('?') || text.includes('#')) return 'must have no query or fragment';
  return undefined;
}

/** Names Express's proxy-addr knows for the private ranges. */
const TRUST_PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * `true` would trust every X-Forwarded-For hop, letting any client pick the address that the
 * activity log, the NEW_IP_ADDRESS rule and the per-address limits see: refused. A hop count
 * trusts that many proxies in front of us; a list trusts exactly those proxies.
 */
function parseTrustProxy(text: string | undefined, problems: string[]): AppConfig['trustProxy'] {
  if (text === undefined || text === 'false' || text === '0') return undefined;
  const advice = 'give the number of proxies in front of the service (e.g. 1) or their addresses/CIDRs, comma-separated';
  if (text === 'true') {
    problems.push(`TRUST_PROXY=true would let any client choose its address with X-Forwarded-For; ${advice}`);
    return undefined;
  }
  if (/^\d+$/.test(text)) {
    const hops = Number(text);
    if (hops > 10) problems.push(`TRUST_PROXY=${text} is out of bounds; allowed 0–10 hops, or ${advice}`);
    return hops;
  }
  const entries = text
    .split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  const invalid = entries.filter((entry) => !TRUST_PROXY_NAMES.includes(entry) && !isAddressOrCidr(entry));
  if (invalid.length > 0) problems.push(`TRUST_PROXY has ${invalid.join(', ')}, which is not an address or CIDR; ${advice}`);
  return entries;
}

function isAddressOrCidr(entry: string): boolean {
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address ?? '');
  if (family === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}
