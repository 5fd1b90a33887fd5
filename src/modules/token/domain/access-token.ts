import type { Role } from '../../../kernel/role.js';

export interface AccessTokenRequest {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly generation: number;
  /** When the user last proved who they are on the session (`auth_time`, RFC 9068 §2.2.1). */
  readonly authenticatedAt: Date;
}

export interface SignedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const SIGNING_ALGORITHM = 'RS256';
