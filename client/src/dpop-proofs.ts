import { createDpopProof, type DeviceKey } from './device-key.js';

/**
 * A client's proofs by its device key, with the server nonces it has been given: every answer to
 * a request with a proof carries the server's current nonce (`DPoP-Nonce`, RFC 9449 §8), and the
 * next proof to that server uses it, so a nonce challenge is rare once a client is running.
 */
export class DpopProofs {
  /** The latest nonce per origin, with when it arrived (device clock). */
  readonly #nonces = new Map<string, { readonly nonce: string; readonly receivedAt: number }>();

  constructor(
    readonly key: DeviceKey,
    private readonly now: () => number,
  ) {}

  /** A fresh proof for one request, with the latest nonce of the request's server when there is one. */
  make(request: { method: string; url: string; accessToken?: string; stepUp?: boolean }): Promise<string> {
    const nonce = this.#nonces.get(originOf(request.url))?.nonce;
    return createDpopProof(this.key, { ...request, now: this.now(), ...(nonce === undefined ? {} : { nonce }) });
  }

  /** Keeps the nonce an answer carries in its `DPoP-Nonce` header, if any. */
  noteAnswer(url: string, response: Response): void {
    const nonce = response.headers.get('dpop-nonce');
    if (nonce) this.remember(url, nonce);
  }

  remember(url: string, nonce: string): void {
    this.#nonces.set(originOf(url), { nonce, receivedAt: this.now() });
  }

  /** How long ago (device clock, ms) the server at `url` gave its latest nonce; Infinity when it never has. */
  nonceAgeMs(url: string): number {
    const latest = this.#nonces.get(originOf(url));
    return latest ? this.now() - latest.receivedAt : Number.POSITIVE_INFINITY;
  }
}

/** `scheme://host:port`, by string cutting (React Native's URL is incomplete). */
function originOf(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(url)?.[0].toLowerCase() ?? url;
}

/** RFC 9449 §9: a resource server's 401 asking for a proof with its nonce (`WWW-Authenticate: DPoP error="use_dpop_nonce"`). */
export function isNonceChallenge(response: Response): boolean {
  return (
    response.status === 401 &&
    /error="use_dpop_nonce"/.test(response.headers.get('www-authenticate') ?? '') &&
    response.headers.get('dpop-nonce') !== null
  );
}
