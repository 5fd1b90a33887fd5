import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
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
    private readonly jwt: JwtService,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async sign(request: AccessTokenRequest): Promise<SignedAccessToken> {
    // Key and kid read together, per token: a rotation applies from the next token on.
    const { kid, privateKey } = this.keys.signingKey;
    const issuedAt = Math.floor(this.clock.now().getTime() / 1000);
    const expiresAt = issuedAt + Math.floor(this.config.accessTokenTtlMs / 1000);
    // Every claim in the payload, timed by the injected Clock (jsonwebtoken's expiresIn and its
    // default iat read Date.now()), in the order jose wrote them (auth_time and client_id added since).
    const claims = {
      sid: request.sessionId,
      roles: [...request.roles],
      gen: request.generation,
      auth_time: Math.floor(request.authenticatedAt.getTime() / 1000),
      amr: [request.authenticationMethod],
      ...(request.deviceKeyThumbprint ? { cnf: { jkt: request.deviceKeyThumbprint } } : {}),
      // RFC 9068 §2.2 requires it, and standard validators (oauth4webapi's) refuse a token without it.
      client_id: this.config.jwtClientId,
      iss: this.config.jwtIssuer,
      aud: this.config.jwtAudience,
      sub: request.userId,
      jti: randomUUID(),
      iat: issuedAt,
      exp: expiresAt,
    };
    const token = await this.jwt.signAsync(claims, {
      privateKey,
      algorithm: SIGNING_ALGORITHM,
      header: { alg: SIGNING_ALGORITHM, typ: ACCESS_TOKEN_TYPE, kid },
    });
    return { token, expiresAt: new Date(expiresAt * 1000) };
  }
}
