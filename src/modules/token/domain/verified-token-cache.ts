import { createHash } from 'node:crypto';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';

/**
 * Access tokens whose signature has been checked, so that the next request with the same token
 * skips the RSA verification (the costliest step of the guard: an app sends one token with
 * every request for up to an hour). Keyed by the token's SHA-256, so that a lookup compares
 * digests, not the secret itself. Only what was verified goes in; expiry is checked on every
 * hit by the caller, and revocation is the session check's business, not this cache's.
 * Bounded: past `capacity`, the oldest entry makes room.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, AccessTokenClaims>();

  constructor(private readonly capacity: number) {}

  static keyOf(token: string): string {
    return createHash('sha256').update(token).digest('base64');
  }

  get(key: string): AccessTokenClaims | undefined {
    return this.entries.get(key);
  }

  set(key: string, claims: AccessTokenClaims): void {
    if (this.entries.size >= this.capacity && !this.entries.has(key)) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(key, claims);
  }

  delete(key: string): void {
    this.entries.delete(key);
  }

  get size(): number {
    return this.entries.size;
  }
}
