import type { KeyObject } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService, type JwtVerifyOptions } from '@nestjs/jwt';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DomainError, unauthenticated } from '../../../common/domain-error.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { Role } from '../../../kernel/role.js';
import { ACCESS_TOKEN_TYPE, SIGNING_ALGORITHM } from './access-token.js';
import { TokenKeyStore } from './token-key-store.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export const CLOCK_TOLERANCE_SECONDS = 5;
const CLOCK_TOLERANCE_MS = CLOCK_TOLERANCE_SECONDS * 1000;
/** About 5 MB at most: tens of thousands of apps' current tokens. */
const VERIFIED_TOKENS_KEPT = 20_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = new Set<string>(Object.values(Role));
/** Headers that would let a token choose its own verification key (RFC 8725 §3.10). */
const KEY_CARRYING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;
/** Three base64url segments, a signature included: the shape jsonwebtoken's decoder accepts, minus alg none. */
const SIGNED_COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** What jsonwebtoken checks for every access token, wherever it arrives. */
export interface AccessTokenVerifyOptions extends JwtVerifyOptions {
  readonly algorithms: [typeof SIGNING_ALGORITHM];
  readonly issuer: string;
  readonly audience: string;
  readonly ignoreExpiration: true;
  readonly ignoreNotBefore: true;
}

/**
 * Verifies access tokens as RFC 8725 asks: exactly RS256, our issuer and audience,
 * `typ: at+jwt`, expiry with a small skew, and a key taken only from our own set by kid.
 *
 * The one verification behind every way a token arrives. HTTP requests reach it through
 * TokenStrategy (passport-jwt), whose secretOrKeyProvider is `keyFor`, whose jsonwebtoken options
 * are `verifyOptions` and whose validate() hands the payload to `claimsOfVerifiedPayload`; sockets'
 * connection_init, introspection and revocation call `verify`, which does the same three steps
 * through JwtService. A token whose signature was verified once is not verified again.
 */
@Injectable()
export class TokenVerifier {
  /**
   * Signature, algorithm, issuer and audience are jsonwebtoken's to check; time is not, because
   * it must be the injected Clock's: passport-jwt copies these options once, when the strategy is
   * built, so a clockTimestamp given here would be frozen and jsonwebtoken would otherwise read
   * Date.now(). `claimsOfVerifiedPayload` applies the time rule instead, once every other check has
   * passed, and the verified-token cache applies the same rule on every later use.
   */
  readonly verifyOptions: Readonly<AccessTokenVerifyOptions>;
  private readonly verified = new VerifiedTokenCache(VERIFIED_TOKENS_KEPT);

  constructor(
    private readonly keys: TokenKeyStore,
    private readonly clock: Clock,
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.verifyOptions = {
      algorithms: [SIGNING_ALGORITHM],
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ignoreExpiration: true,
      ignoreNotBefore: true,
    };
  }

  async verify(token: string): Promise<AccessTokenClaims> {
    const known = this.claimsVerifiedBefore(token);
    if (known) return known;
    let payload: unknown;
    try {
      payload = await this.jwt.verifyAsync<object>(token, {
        ...this.verifyOptions,
        publicKey: asJsonWebTokenKey(await this.keyFor(token)),
      });
    } catch {
      throw invalidToken();
    }
    return this.claimsOfVerifiedPayload(token, payload);
  }

  /**
   * The key a token may be verified with, chosen from its header before any signature is
   * checked: only an RS256 `at+jwt` naming one of our kids gets one. A header that brings or
   * points at its own key, or that marks an extension critical (we understand none, and
   * jsonwebtoken would ignore it), gets none.
   */
  async keyFor(token: string): Promise<KeyObject> {
    const header = protectedHeaderOf(token);
    if (
      !header ||
      header.alg !== SIGNING_ALGORITHM ||
      !isAccessTokenType(header.typ) ||
      'crit' in header ||
      KEY_CARRYING_HEADERS.some((name) => name in header) ||
      typeof header.kid !== 'string'
    ) {
      throw invalidToken();
    }
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw invalidToken();
    return key;
  }

  /**
   * Claims of a token verified earlier, so long as they have not expired since; undefined for a
   * token never verified here.
   */
  claimsVerifiedBefore(token: string): AccessTokenClaims | undefined {
    const key = VerifiedTokenCache.keyOf(token);
    const known = this.verified.get(key);
    if (known && hasExpired(known.expiresAt, this.clock.now())) {
      this.verified.delete(key);
      throw tokenExpired();
    }
    return known;
  }

  /**
   * Only for a payload jsonwebtoken has just verified, with `verifyOptions` and the key `keyFor`
   * chose for this token: checks the claims and the time, and remembers the token as verified.
   */
  claimsOfVerifiedPayload(token: string, payload: unknown): AccessTokenClaims {
    const claims = claimsOf(payload, this.clock.now());
    this.verified.set(VerifiedTokenCache.keyOf(token), claims);
    return claims;
  }
}

/**
 * jsonwebtoken verifies with a KeyObject as it is (anything else it first turns into one);
 * @nestjs/jwt's and passport-jwt's types still say string | Buffer.
 */
export function asJsonWebTokenKey(key: KeyObject): Buffer {
  return key as unknown as Buffer;
}

export const invalidToken = () => unauthenticated('The access token is not valid.');
const tokenExpired = () => new DomainError('TOKEN_EXPIRED', 'The access token has expired; refresh the session.');

/** RFC 9068 §4 and RFC 7515 §4.1.9: `at+jwt`, with or without `application/`, in any case. */
function isAccessTokenType(typ: unknown): boolean {
  if (typeof typ !== 'string') return false;
  const type = typ.toLowerCase();
  return type === ACCESS_TOKEN_TYPE || type === `application/${ACCESS_TOKEN_TYPE}`;
}

function protectedHeaderOf(token: string): Record<string, unknown> | undefined {
  if (!SIGNED_COMPACT_JWS.test(token)) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8'));
    return isRecord(header) ? header : undefined;
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `exp` has passed once the clock is CLOCK_TOLERANCE_SECONDS beyond it (RFC 7519 §4.1.4 allows the skew). */
function hasExpired(expiresAt: Date, now: Date): boolean {
  return expiresAt.getTime() <= now.getTime() - CLOCK_TOLERANCE_MS;
}

/**
 * Expiry is judged last, once everything else about the token holds: only a token that would be
 * accepted but for its age answers TOKEN_EXPIRED, which tells the app that a refresh will help.
 */
function claimsOf(payload: unknown, now: Date): AccessTokenClaims {
  if (!isRecord(payload)) throw invalidToken();
  const { sub, sid, jti, iat, exp, nbf, roles, gen, auth_time: authTime, cnf, client_id: clientId } = payload;
  const thumbprint = isRecord(cnf) ? cnf.jkt : undefined;
  if (
    typeof sub !== 'string' ||
    !UUID.test(sub) ||
    typeof sid !== 'string' ||
    !UUID.test(sid) ||
    typeof jti !== 'string' ||
    typeof iat !== 'number' ||
    typeof exp !== 'number' ||
    (nbf !== undefined && typeof nbf !== 'number') ||
    (authTime !== undefined && typeof authTime !== 'number') ||
    (cnf !== undefined && (typeof thumbprint !== 'string' || thumbprint.length === 0)) ||
    // Tokens minted before client_id existed (at most one lifetime ago) still pass without it.
    (clientId !== undefined && (typeof clientId !== 'string' || clientId.length === 0)) ||
    !Number.isSafeInteger(gen) ||
    (gen as number) < 0 ||
    !Array.isArray(roles) ||
    !roles.every((role) => typeof role === 'string' && ROLES.has(role))
  ) {
    throw invalidToken();
  }
  if (typeof nbf === 'number' && nbf * 1000 > now.getTime() + CLOCK_TOLERANCE_MS) throw invalidToken();
  const expiresAt = new Date(exp * 1000);
  if (hasExpired(expiresAt, now)) throw tokenExpired();
  return {
    userId: sub,
    sessionId: sid,
    roles: roles as Role[],
    generation: gen as number,
    ...(typeof authTime === 'number' ? { authenticatedAt: new Date(authTime * 1000) } : {}),
    ...(typeof thumbprint === 'string' ? { deviceKeyThumbprint: thumbprint } : {}),
    ...(typeof clientId === 'string' ? { clientId } : {}),
    tokenId: jti,
    issuedAt: new Date(iat * 1000),
    expiresAt,
  };
}
