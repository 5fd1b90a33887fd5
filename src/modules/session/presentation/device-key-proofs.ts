import { Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { DpopProofVerifier, type DpopKeyProof } from '../../token/domain/dpop-proof-verifier.js';
import { invalidDpopProof } from '../../token/domain/dpop-proof.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import type { AuthorizationScheme } from './bearer-token.js';

/**
 * The DPoP proof an HTTP request carries (RFC 9449), checked once per request however many parts
 * of it ask (the guard, then a resolver), since a proof's `jti` is good for one use. Every answer
 * to a request that sent a proof carries the current server nonce in `DPoP-Nonce` (§8.2), so a
 * client always has one for its next proof.
 */
@Injectable()
export class DeviceKeyProofs {
  private readonly checked = new WeakMap<Request, Promise<DpopKeyProof | undefined>>();

  constructor(private readonly verifier: DpopProofVerifier) {}

  /** The request's proof, checked; undefined when it sends none. `accessToken`: the token it is sent with, which `ath` must hash. */
  of(request: Request, accessToken?: string): Promise<DpopKeyProof | undefined> {
    let pending = this.checked.get(request);
    if (!pending) {
      pending = this.check(request, accessToken);
      this.checked.set(request, pending);
    }
    return pending;
  }

  /** For an endpoint that hands out tokens: the proof, if any, must carry a fresh server nonce. */
  async withFreshNonce(request: Request): Promise<DpopKeyProof | undefined> {
    const proof = await this.of(request);
    if (proof) this.verifier.requireFreshNonce(proof);
    return proof;
  }

  private async check(request: Request, accessToken: string | undefined): Promise<DpopKeyProof | undefined> {
    const header = request.headers.dpop;
    if (header === undefined) return undefined;
    request.res?.setHeader('DPoP-Nonce', this.verifier.currentNonce());
    // One proof (§4.3 step 1): a repeated header arrives joined by commas, which no JWT holds.
    if (typeof header !== 'string' || header.includes(',')) throw invalidDpopProof('Send exactly one DPoP proof.');
    return this.verifier.verify(header, { method: request.method, url: requestUrl(request), accessToken });
  }
}

/** The URL the client sent the request to: scheme and host as Express reads them (TRUST_PROXY decides whether from X-Forwarded-*), and the path. */
export function requestUrl(request: Request): string {
  return `${request.protocol}://${request.host}${request.originalUrl}`;
}

/**
 * RFC 9449 §7.1, on every transport: a token bound to a key is accepted only as `DPoP <token>`,
 * an unbound one only as `Bearer`. Answers the thumbprint of the key a bound token's proof must
 * be made with, or undefined for an unbound token.
 */
export function boundKeyOf(claims: AccessTokenClaims, scheme: AuthorizationScheme): string | undefined {
  const bound = claims.deviceKeyThumbprint;
  if (!bound && scheme === 'DPoP') throw invalidDpopProof('This access token is not bound to a key: present it with the Bearer scheme.');
  if (bound && scheme !== 'DPoP')
    throw invalidDpopProof('This access token is bound to a device key: present it with the DPoP scheme and a DPoP proof.');
  return bound;
}

/** The proof a bound token came with must exist and be made with the key it is bound to. */
export function assertMadeBy(proof: DpopKeyProof | undefined, thumbprint: string): void {
  if (!proof) throw invalidDpopProof('This access token is bound to a device key: send a DPoP proof with it.');
  if (proof.thumbprint !== thumbprint) throw invalidDpopProof('The DPoP proof was made with another key than the token is bound to.');
}
