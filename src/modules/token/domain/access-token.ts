import type { Role } from '../../user/domain/user.js';

/** Who is calling, as proven by a verified access token. */
export interface AccessTokenClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  /** The refresh generation the token was minted with; its first use commits that generation. */
  readonly generation: number;
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}

export interface AccessTokenRequest {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  readonly generation: number;
}

export interface SignedAccessToken {
  readonly token: string;
  readonly expiresAt: Date;
}

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const SIGNING_ALGORITHM = 'RS256';
