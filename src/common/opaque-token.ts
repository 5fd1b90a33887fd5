import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Lets secret scanners and people recognise a leaked Tessera refresh token. */
export const REFRESH_TOKEN_PREFIX = 'tsr_';
const SECRET_BYTES = 32;
const MAC_BYTES = 32;
const LEGACY_ENCODED_LENGTH = REFRESH_TOKEN_PREFIX.length + Math.ceil((SECRET_BYTES * 4) / 3);
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** The largest generation the `integer` column holds. */
const MAX_GENERATION = 2 ** 31 - 1;
/**
 * `tsr_<session id>.<generation>.<secret>.<mac>`: the session id as PostgreSQL prints a uuid,
 * the generation in canonical decimal, 256 random bits and an HMAC-SHA-256, both unpadded
 * base64url. Exactly one spelling per token, so nothing but the issued string passes.
 */
const STATEFUL_FORMAT =
  /^tsr_([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(0|[1-9][0-9]{0,9})\.([A-Za-z0-9_-]{43})\.([A-Za-z0-9_-]{43})$/;

/** What a refresh token of the current format says about itself, once its MAC has been checked. */
export interface RefreshTokenClaims {
  readonly sessionId: string;
  readonly generation: number;
}

/**
 * A refresh token for generation `generation` of session `sessionId`. The MAC (under a server
 * secret) over the session, the generation and the random part means nobody can write down
 * "session S, generation g" without having been given that token, so an earlier generation is
 * recognised by arithmetic on the session row instead of by a stored row per generation.
 */
export function mintRefreshToken(macKey: Buffer, claims: RefreshTokenClaims): string {
  const secret = randomBytes(SECRET_BYTES).toString('base64url');
  const mac = refreshTokenMac(macKey, claims, secret).toString('base64url');
  return `${REFRESH_TOKEN_PREFIX}${claims.sessionId}.${claims.generation}.${secret}.${mac}`;
}

/**
 * The claims of a current-format token whose MAC is right; undefined for anything else (the
 * legacy format included: see isLegacyRefreshToken). The MAC is compared in constant time.
 */
export function readRefreshToken(macKey: Buffer, token: string): RefreshTokenClaims | undefined {
  const parts = STATEFUL_FORMAT.exec(token);
  if (!parts) return undefined;
  const [, sessionId, generationText, secret, macText] = parts;
  const generation = Number(generationText);
  if (generation > MAX_GENERATION) return undefined;
  const presentedMac = Buffer.from(macText, 'base64url');
  // 43 base64url characters carry 258 bits: only the spelling whose last two are zero is the one we issue.
  if (presentedMac.length !== MAC_BYTES || presentedMac.toString('base64url') !== macText) return undefined;
  const claims = { sessionId, generation };
  return timingSafeEqual(presentedMac, refreshTokenMac(macKey, claims, secret)) ? claims : undefined;
}

/** The current format's shape alone, MAC unchecked: lets what cannot be ours be refused before the key is needed. */
export function hasCurrentRefreshTokenFormat(token: string): boolean {
  return STATEFUL_FORMAT.test(token);
}

function refreshTokenMac(macKey: Buffer, claims: RefreshTokenClaims, secret: string): Buffer {
  return createHmac('sha256', macKey).update(`tessera-refresh-token:${claims.sessionId}:${claims.generation}:${secret}`).digest();
}

/**
 * The format issued before refresh tokens named their session: 256 random bits, found through
 * the hash rows of `refresh_tokens`. Still accepted until each is rotated once (ARCHITECTURE.md).
 */
export function isLegacyRefreshToken(token: string): boolean {
  return (
    token.length === LEGACY_ENCODED_LENGTH &&
    token.startsWith(REFRESH_TOKEN_PREFIX) &&
    BASE64URL.test(token.slice(REFRESH_TOKEN_PREFIX.length))
  );
}

/** A legacy-format token, as tokens were issued before the current format; for tests and migration checks only. */
export function generateLegacyRefreshToken(): string {
  return REFRESH_TOKEN_PREFIX + randomBytes(SECRET_BYTES).toString('base64url');
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
