import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { ACCESS_TOKEN_TYPE, SIGNING_ALGORITHM, type AccessTokenRequest, type SignedAccessToken } from './access-token.js';
import { TokenKeyStore } from './token-key-store.js';

/** Mints RFC 9068 access tokens: `typ: at+jwt`, RS256, our issuer and audience, one session per token. */
@Injectable()
export class TokenSigner {
  constructor(
    private readonly keys: TokenKeyStore,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sign(request: AccessTokenRequest): Promise<SignedAccessToken> {
    const { kid, privateKey } = this.keys.signingKey;
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + Math.floor(this.config.accessTokenTtlMs / 1000);
    const token = await new SignJWT({ sid: request.sessionId, roles: [...request.roles], gen: request.generation })
      .setProtectedHeader({ alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid })
      .setIssuer(this.config.jwtIssuer)
      .setAudience(this.config.jwtAudience)
      .setSubject(request.userId)
      .setJti(randomUUID())
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(privateKey);
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }
}
