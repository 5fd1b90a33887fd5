import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lets secret scanners and people recognise a leaked Tessera refresh token. */
export const REFRESH_TOKEN_PREFIX = 'tsr_';
const SECRET_BYTES = 32;
const ENCODED_LENGTH = REFRESH_TOKEN_PREFIX.length + Math.ceil((SECRET_BYTES * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;

export function generateRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
}

/** Rejects what cannot be one of ours before it reaches the database. */
export function isWellFormedRefreshToken(token: string): boolean {
  return (
    token.length === ENCODED_LENGTH && token.startsWith(REFRESH_TOKEN_PREFIX) && BASE64URL.test(token.slice(REFRESH_TOKEN_PREFIX.length))
  );
}

/** Only this hash is stored: a database leak does not hand out usable refresh tokens. */
export function hashToken(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

export function constantTimeEqual(a: string | Buffer, b: string | Buffer): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
