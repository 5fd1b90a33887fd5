import { Injectable } from '@nestjs/common';
import { DomainError } from '../../../common/domain-error.js';
import { SessionAuthenticator } from '../../session/domain/session-authenticator.js';
import { TokenVerifier } from './token-verifier.js';

export type IntrospectionResponse =
  | { readonly active: false }
  | {
      readonly active: true;
      readonly token_type: 'Bearer' | 'DPoP';
      /** RFC 9449 §6.2: the key a bound token is confirmed by. */
      readonly cnf?: { readonly jkt: string };
      readonly sub: string;
      readonly sid: string;
      readonly jti: string;
      readonly iat: number;
      readonly exp: number;
      readonly iss: string;
      readonly aud: string;
      /** RFC 7662 §2.2: the client the token was issued to. */
      readonly client_id: string;
      readonly roles: readonly string[];
      readonly scope: string;
    };

const INACTIVE: IntrospectionResponse = { active: false };

/** What this service names itself and its clients in every token it issues. */
export interface TokenIssuance {
  readonly issuer: string;
  readonly audience: string;
  readonly clientId: string;
}

/**
 * RFC 7662 for access tokens: the signature and claims as the guard checks them, and the session
 * as it is now, so a revocation shows at once. Anything else, a refresh token included (resource
 * servers never hold one), is exactly `{ "active": false }`. An unreachable database is an error,
 * never an answer.
 */
@Injectable()
export class TokenIntrospectionService {
  constructor(
    private readonly verifier: TokenVerifier,
    private readonly sessions: SessionAuthenticator,
  ) {}

  async introspect(token: string, issuance: TokenIssuance): Promise<IntrospectionResponse> {
    try {
      // Roles as they are now: a resource server asking here learns of a demotion at once.
      const claims = await this.sessions.assertActive(await this.verifier.verify(token));
      return {
        active: true,
        token_type: claims.deviceKeyThumbprint ? 'DPoP' : 'Bearer',
        ...(claims.deviceKeyThumbprint ? { cnf: { jkt: claims.deviceKeyThumbprint } } : {}),
        sub: claims.userId,
        sid: claims.sessionId,
        jti: claims.tokenId,
        iat: Math.floor(claims.issuedAt.getTime() / 1000),
        exp: Math.floor(claims.expiresAt.getTime() / 1000),
        iss: issuance.issuer,
        aud: issuance.audience,
        // A token minted before client_id was a claim was issued to the same apps all the same.
        client_id: claims.clientId ?? issuance.clientId,
        roles: claims.roles,
        scope: claims.roles.map((role) => role.toLowerCase()).join(' '),
      };
    } catch (error) {
      if (error instanceof DomainError && error.code !== 'SERVICE_UNAVAILABLE') return INACTIVE;
      throw error;
    }
  }
}
