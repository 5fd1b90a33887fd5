import type { Role } from '../../../kernel/role.js';

export interface AccessTokenRequest {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly generation: number;
  /** When the user last proved who they are on the session (`auth_time`, RFC 9068 §2.2.1). */
  readonly authenticatedAt: Date;
  /** RFC 8176 `amr` of that proof. */
  readonly authenticationMethod: 'pwd' | 'hwk';
  /** The device key the session is bound to (DPoP): the token gets `cnf.jkt` (RFC 9449 §6). */
  readonly deviceKeyThumbprint: string | null;
}

export interface SignedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const SIGNING_ALGORITHM = 'RS256';
