import type { Role } from './role.js';

/** Who is calling, as proven by a verified access token. */
export interface AccessTokenClaims {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  /** The refresh generation the token was minted with; its first use commits that generation. */
  readonly generation: number;
  /** `auth_time`: when the user last proved who they are on the session; absent from tokens minted before it existed. */
  readonly authenticatedAt?: Date;
  /** `cnf.jkt` (RFC 9449 §6): the thumbprint of the device key the token is bound to; absent for a bearer token. */
  readonly deviceKeyThumbprint?: string;
  /** `client_id` (RFC 9068 §2.2): the client the token was issued to; absent from tokens minted before it existed. */
  readonly clientId?: string;
  readonly tokenId: string;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
}
