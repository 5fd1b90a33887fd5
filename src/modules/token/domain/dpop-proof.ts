import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, EmbeddedJWK, errors, jwtVerify, type JWK } from 'jose';
import { DomainError } from '../../../common/domain-error.js';
import { DPOP_ALGORITHMS } from '../../../kernel/dpop-algorithms.js';

export const DPOP_PROOF_TYPE = 'dpop+jwt';
/** A proof is a small JWT; anything far longer is not one. */
const MAX_PROOF_LENGTH = 8192;

export const invalidDpopProof = (message: string, nonce?: string) =>
  new DomainError('INVALID_DPOP_PROOF', message, nonce === undefined ? {} : { nonce });

/** What a request says about itself, for the proof's `htm`, `htu` and `ath` to be checked against. */
export interface DpopRequest {
  readonly method: string;
  /** The URL the client sent the request to, as the service is reached (scheme, host, path). */
  readonly url: string;
  /** For a request made with a bound access token: the token, which the proof's `ath` must hash. */
  readonly accessToken?: string;
}

/** A proof's checked content: the key's thumbprint (RFC 7638), and what replay and nonce checks need. */
export interface DpopProofClaims {
  readonly thumbprint: string;
  readonly jti: string;
  readonly issuedAt: Date;
  readonly nonce: string | undefined;
}

/**
 * The checks of RFC 9449 §4.3 that need nothing but the proof, the request and the time: one JWS
 * with `typ: dpop+jwt`, an asymmetric `alg`, a public `jwk` in its header that verifies it,
 * `htm` and `htu` naming this request, `iat` within `windowMs` of now, a `jti`, and for a request
 * with an access token an `ath` that is its hash. Replay (`jti`) and nonces are the caller's.
 */
export async function checkDpopProof(proof: string, request: DpopRequest, now: Date, windowMs: number): Promise<DpopProofClaims> {
  if (proof.length > MAX_PROOF_LENGTH || proof.split('.').length !== 3) throw invalidDpopProof('The DPoP proof is not a signed JWT.');
  let verified: Awaited<ReturnType<typeof jwtVerify<Record<string, unknown>>>>;
  try {
    verified = await jwtVerify<Record<string, unknown>>(proof, EmbeddedJWK, {
      typ: DPOP_PROOF_TYPE,
      algorithms: [...DPOP_ALGORITHMS],
      currentDate: now,
    });
  } catch (error) {
    const why = error instanceof errors.JOSEError ? error.message : 'it could not be read';
    throw invalidDpopProof(`The DPoP proof is not valid: ${why}.`);
  }
  const { payload, protectedHeader } = verified;
  const { htm, htu, iat, jti, ath, nonce } = payload;
  if (typeof htm !== 'string' || htm !== request.method.toUpperCase())
    throw invalidDpopProof('The DPoP proof is for another HTTP method (htm).');
  if (typeof htu !== 'string' || !sameTarget(htu, request.url)) throw invalidDpopProof('The DPoP proof is for another URL (htu).');
  if (typeof jti !== 'string' || jti.length < 8 || jti.length > 256) throw invalidDpopProof('The DPoP proof needs a unique jti.');
  if (typeof iat !== 'number' || Math.abs(now.getTime() - iat * 1000) > windowMs) {
    throw invalidDpopProof('The DPoP proof is too old or dated in the future (iat).');
  }
  if (request.accessToken !== undefined && ath !== accessTokenHash(request.accessToken)) {
    throw invalidDpopProof('The DPoP proof does not name this access token (ath).');
  }
  if (nonce !== undefined && typeof nonce !== 'string') throw invalidDpopProof('The DPoP proof’s nonce is not a string.');
  return {
    thumbprint: await calculateJwkThumbprint(protectedHeader.jwk as JWK, 'sha256'),
    jti,
    issuedAt: new Date(iat * 1000),
    nonce,
  };
}

/** RFC 9449 §4.2: `ath` is the base64url SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'ascii').digest('base64url');
}

/** §4.3 step 9: the URIs compared without query and fragment, scheme and host case-insensitively (RFC 3986 §6.2.2). */
function sameTarget(htu: string, url: string): boolean {
  const normalised = (value: string): string | undefined => {
    try {
      const parsed = new URL(value);
      return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
    } catch {
      return undefined;
    }
  };
  const claimed = normalised(htu);
  return claimed !== undefined && claimed === normalised(url);
}
