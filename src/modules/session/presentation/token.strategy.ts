import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-jwt';
import type { AuthenticatedRequest } from '../../../graphql/request-context.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { asJsonWebTokenKey, TokenVerifier } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../domain/session-authenticator.js';
import { accessTokenOf } from './bearer-token.js';

const accessTokenOfRequest = (request: AuthenticatedRequest) => accessTokenOf(request.headers.authorization);

/**
 * Access tokens over HTTP, as passport-jwt checks them with TokenVerifier's key choice and
 * options; validate() then applies TokenVerifier's claim and time rules and asks whether the
 * session is still active (its answer carries the user's roles as they are now). Registered with
 * passport as 'jwt'; TokenGuard runs it for tokens it has not verified before.
 */
@Injectable()
export class TokenStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly sessions: SessionAuthenticator,
  ) {
    super({
      // The same extraction as sockets use: one access token (Bearer or DPoP), at most 4096 characters.
      jwtFromRequest: (request: AuthenticatedRequest) => accessTokenOfRequest(request) ?? null,
      secretOrKeyProvider: (_request: unknown, rawJwtToken: string, done: (error: unknown, key?: Buffer) => void) => {
        verifier.keyFor(rawJwtToken).then(
          (key) => done(null, asJsonWebTokenKey(key)),
          (error: unknown) => done(error),
        );
      },
      // passport-jwt copies these four over jsonWebTokenOptions, given or not, so they go twice.
      algorithms: verifier.verifyOptions.algorithms,
      issuer: verifier.verifyOptions.issuer,
      audience: verifier.verifyOptions.audience,
      ignoreExpiration: verifier.verifyOptions.ignoreExpiration,
      jsonWebTokenOptions: verifier.verifyOptions,
      passReqToCallback: true,
    });
  }

  /** Called by passport-jwt once jsonwebtoken has verified the token with `keyFor`'s key. */
  async validate(request: AuthenticatedRequest, payload: unknown): Promise<AccessTokenClaims> {
    return this.sessions.assertActive(this.verifier.claimsOfVerifiedPayload(accessTokenOfRequest(request)!, payload));
  }
}
