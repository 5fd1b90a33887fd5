import { Inject, Injectable } from '@nestjs/common';
import { errors, jwtVerify, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DomainError, unauthenticated } from '../../../common/domain-error.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { Role } from '../../../kernel/role.js';
import { ACCESS_TOKEN_TYPE, SIGNING_ALGORITHM } from './access-token.js';
import { TokenKeyStore } from './token-key-store.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

export const CLOCK_TOLERANCE_SECONDS = 5;
/** About 5 MB at most: tens of thousands of apps' current tokens. */
const VERIFIED_TOKENS_KEPT = 20_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ROLES = new Set<string>(Object.values(Role));
/** Headers that would let a token choose its own verification key (RFC 8725 §3.10). */
const KEY_CARRYING_HEADERS = ['jku', 'jwk', 'x5u', 'x5c'] as const;

/**
 * Verifies access tokens as RFC 8725 asks: exactly RS256, our issuer and audience,
 * `typ: at+jwt`, expiry with a small skew, and a key taken only from our own set by kid.
 */
@Injectable()
export class TokenVerifier {
  private readonly verified = new VerifiedTokenCache(VERIFIED_TOKENS_KEPT);

  constructor(
    private readonly keys: TokenKeyStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async verify(token: string): Promise<AccessTokenClaims> {
    const key = VerifiedTokenCache.keyOf(token);
    const known = this.verified.get(key);
    if (known) {
      // jose's rule for `exp`, applied again on every use of a token verified earlier.
      if (known.expiresAt.getTime() <= this.clock.now().getTime() - CLOCK_TOLERANCE_SECONDS * 1000) {
        this.verified.delete(key);
        throw tokenExpired();
      }
      return known;
    }
    const claims = await this.verifySignatureAndClaims(token);
    this.verified.set(key, claims);
    return claims;
  }

  private async verifySignatureAndClaims(token: string): Promise<AccessTokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, (header) => this.keyFor(header), {
        algorithms: [SIGNING_ALGORITHM],
        issuer: this.config.jwtIssuer,
        audience: this.config.jwtAudience,
        typ: ACCESS_TOKEN_TYPE,
        currentDate: this.clock.now(),
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      }));
    } catch (error) {
      if (error instanceof errors.JWTExpired) throw tokenExpired();
      throw unauthenticated('The access token is not valid.');
    }
    return toClaims(payload);
  }

  private async keyFor(header: JWTHeaderParameters) {
    if (KEY_CARRYING_HEADERS.some((name) => name in header) || typeof header.kid !== 'string') {
      throw unauthenticated();
    }
    const key = await this.keys.verificationKey(header.kid);
    if (!key) throw unauthenticated();
    return key;
  }
}

const tokenExpired = () => new DomainError('TOKEN_EXPIRED', 'The access token has expired; refresh the session.');

function toClaims(payload: JWTPayload): AccessTokenClaims {
  const { sub, sid, jti, iat, exp, roles, gen } = payload;
  if (
    typeof sub !== 'string' ||
    !UUID.test(sub) ||
    typeof sid !== 'string' ||
    !UUID.test(sid) ||
    typeof jti !== 'string' ||
    !Number.isSafeInteger(gen) ||
    (gen as number) < 0 ||
    !Array.isArray(roles) ||
    !roles.every((role) => typeof role === 'string' && ROLES.has(role))
  ) {
    throw unauthenticated('The access token is not valid.');
  }
  return {
    userId: sub,
    sessionId: sid,
    roles: roles as Role[],
    generation: gen as number,
    tokenId: jti,
    issuedAt: new Date(iat! * 1000),
    expiresAt: new Date(exp! * 1000),
  };
}
