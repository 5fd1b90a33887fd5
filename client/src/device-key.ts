/**
 * The device key of a device-bound session (DPoP, RFC 9449): the port an app implements where
 * its platform keeps keys (Secure Enclave, StrongBox, a non-extractable WebCrypto key), and the
 * proofs the SDK makes with it. Browser- and React Native-safe: WebCrypto through
 * `globalThis.crypto` (React Native needs a WebCrypto polyfill for `subtle.digest`), nothing else.
 */

/** The public half of a P-256 key (RFC 7517): all a proof's header may carry. */
export interface DevicePublicJwk {
  readonly kty: 'EC';
  readonly crv: 'P-256';
  readonly x: string;
  readonly y: string;
}

export interface DeviceKeySigningContext {
  /**
   * True for the proof of `reauthenticateWithDeviceKey()` only: the one signature that stands for
   * "the user just proved it is them", where a native app shows Face ID or BiometricPrompt first.
   * Every other proof (refresh, requests) is made silently.
   */
  readonly stepUp: boolean;
}

/**
 * What the SDK needs from a device key: an ES256 (ECDSA P-256, SHA-256) key whose private half
 * stays where the platform keeps it. Implementations: `IndexedDbDeviceKey` (browsers),
 * `FileDeviceKey` (Node, `@tessera/client/node`), `WebCryptoDeviceKey` (in memory), or an app's
 * own over the iOS Keychain or Android Keystore (see the README).
 */
export interface DeviceKey {
  /** The public key, the same on every call for as long as the key lives. */
  publicJwk(): Promise<DevicePublicJwk>;
  /**
   * An ES256 signature of `data` (the key hashes it with SHA-256) in JWS form: r and s, 32 bytes
   * each. The platforms' DER signatures convert with `joseSignatureFromDer`.
   */
  sign(data: Uint8Array, context: DeviceKeySigningContext): Promise<Uint8Array>;
}

export interface DpopProofRequest {
  /** The request's HTTP method (`GET` for a WebSocket's opening). */
  readonly method: string;
  /** The request's absolute URL; query and fragment are left out of the proof (RFC 9449 §4.2). */
  readonly url: string;
  /** The device's clock, in milliseconds: the proof's `iat`. */
  readonly now: number;
  /** The server's latest nonce (its `DPoP-Nonce` header), when it gave one. */
  readonly nonce?: string;
  /** With a request that carries a bound access token: the token, whose hash becomes `ath`. */
  readonly accessToken?: string;
  readonly stepUp?: boolean;
}

/** A DPoP proof (RFC 9449 §4.2): a JWT of type `dpop+jwt` signed by the device key, for one request, once. */
export async function createDpopProof(key: DeviceKey, request: DpopProofRequest): Promise<string> {
  const jwk = await key.publicJwk();
  const header = { typ: 'dpop+jwt', alg: 'ES256', jwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } };
  const claims: Record<string, string | number> = {
    jti: randomId(),
    htm: request.method.toUpperCase(),
    htu: withoutQueryAndFragment(request.url),
    iat: Math.floor(request.now / 1000),
  };
  if (request.nonce !== undefined) claims.nonce = request.nonce;
  if (request.accessToken !== undefined) claims.ath = await accessTokenHash(request.accessToken);
  const signingInput = `${encodeBase64Url(utf8(JSON.stringify(header)))}.${encodeBase64Url(utf8(JSON.stringify(claims)))}`;
  const signature = await key.sign(utf8(signingInput), { stepUp: request.stepUp ?? false });
  if (signature.byteLength !== 64) throw new TypeError('A DeviceKey must sign ES256 in JWS form: 64 bytes (r and s), not DER.');
  return `${signingInput}.${encodeBase64Url(signature)}`;
}

/** RFC 7638: the key's thumbprint, as the service names a bound session's key (`cnf.jkt`). */
export async function jwkThumbprint(jwk: DevicePublicJwk): Promise<string> {
  // The required members only, in lexicographic order, no whitespace.
  const canonical = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  return encodeBase64Url(await sha256(utf8(canonical)));
}

/**
 * An ECDSA P-256 signature in DER (what iOS's SecKeyCreateSignature and Android's Signature give)
 * in the JWS form DeviceKey.sign answers with: r and s as 32 bytes each.
 */
export function joseSignatureFromDer(der: Uint8Array): Uint8Array {
  let offset = 0;
  const expect = (tag: number) => {
    if (der[offset++] !== tag) throw new TypeError('Not a DER ECDSA signature');
  };
  const length = () => {
    const first = der[offset++] ?? 0;
    if (first < 0x80) return first;
    if (first !== 0x81) throw new TypeError('Not a DER ECDSA signature');
    return der[offset++] ?? 0;
  };
  const integer = () => {
    expect(0x02);
    const size = length();
    let bytes = der.subarray(offset, offset + size);
    offset += size;
    while (bytes.length > 32 && bytes[0] === 0) bytes = bytes.subarray(1); // DER's sign byte
    if (bytes.length > 32) throw new TypeError('Not a P-256 signature');
    const padded = new Uint8Array(32);
    padded.set(bytes, 32 - bytes.length);
    return padded;
  };
  expect(0x30);
  length();
  const signature = new Uint8Array(64);
  signature.set(integer(), 0);
  signature.set(integer(), 32);
  return signature;
}

/**
 * A device key held by WebCrypto: a P-256 CryptoKeyPair, in memory. `generate()` makes one whose
 * private key cannot be exported; IndexedDbDeviceKey and FileDeviceKey keep theirs across restarts.
 */
export class WebCryptoDeviceKey implements DeviceKey {
  readonly #keyPair: WebCryptoKeyPair;
  #publicJwk: Promise<DevicePublicJwk> | undefined;

  constructor(keyPair: WebCryptoKeyPair) {
    this.#keyPair = keyPair;
  }

  /** A new P-256 key pair; its private key is non-extractable unless `extractable` says otherwise. */
  static async generate(options: { extractable?: boolean } = {}): Promise<WebCryptoDeviceKey> {
    const keyPair = await subtle().generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, options.extractable ?? false, ['sign', 'verify']);
    return new WebCryptoDeviceKey(keyPair);
  }

  /** The CryptoKeyPair itself, for storing it (IndexedDB keeps a CryptoKey by structured clone, extractable or not). */
  get keyPair(): WebCryptoKeyPair {
    return this.#keyPair;
  }

  publicJwk(): Promise<DevicePublicJwk> {
    // A public key is always exportable, whatever the private key's extractable flag.
    this.#publicJwk ??= subtle()
      .exportKey('jwk', this.#keyPair.publicKey as SubtleKey)
      .then((jwk) => {
        if (jwk.kty !== 'EC' || jwk.crv !== 'P-256' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
          throw new TypeError('A device key must be an ECDSA P-256 key');
        }
        return { kty: 'EC', crv: 'P-256', x: jwk.x, y: jwk.y };
      });
    return this.#publicJwk;
  }

  async sign(data: Uint8Array): Promise<Uint8Array> {
    // WebCrypto's ECDSA signature is already r and s side by side, as JWS wants.
    return new Uint8Array(
      await subtle().sign({ name: 'ECDSA', hash: 'SHA-256' }, this.#keyPair.privateKey as SubtleKey, arrayBacked(data)),
    );
  }
}

/** A WebCrypto CryptoKeyPair (`crypto.subtle.generateKey`'s answer), typed loosely so that DOM and Node typings both fit. */
export interface WebCryptoKeyPair {
  readonly publicKey: object;
  readonly privateKey: object;
}

type SubtleKey = Parameters<typeof globalThis.crypto.subtle.sign>[1];

function subtle(): typeof globalThis.crypto.subtle {
  const found = (globalThis as { crypto?: { subtle?: typeof globalThis.crypto.subtle } }).crypto?.subtle;
  // Browsers hide it outside secure contexts (https, or http://localhost).
  if (!found) throw new TypeError('WebCrypto (crypto.subtle) is not available here: a device key needs it (https in browsers).');
  return found;
}

/** RFC 9449 §4.2: `ath`, the base64url SHA-256 of the access token. */
export async function accessTokenHash(accessToken: string): Promise<string> {
  return encodeBase64Url(await sha256(utf8(accessToken)));
}

async function sha256(data: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await subtle().digest('SHA-256', arrayBacked(data)));
}

/** A copy over a plain ArrayBuffer: the DOM's typings of WebCrypto refuse a view that might sit on a SharedArrayBuffer. */
function arrayBacked(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data);
}

function randomId(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return encodeBase64Url(bytes);
}

/** String cutting rather than new URL(): React Native's URL is incomplete. */
export function withoutQueryAndFragment(url: string): string {
  return url.replace(/[?#].*$/s, '');
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// Hand-written rather than btoa or Buffer: React Native, browsers and Node all run it alike.
function encodeBase64Url(bytes: Uint8Array): string {
  let text = '';
  let index = 0;
  for (; index + 2 < bytes.length; index += 3) {
    const triple = (bytes[index]! << 16) | (bytes[index + 1]! << 8) | bytes[index + 2]!;
    text += ALPHABET[triple >> 18]! + ALPHABET[(triple >> 12) & 63]! + ALPHABET[(triple >> 6) & 63]! + ALPHABET[triple & 63]!;
  }
  const rest = bytes.length - index;
  if (rest === 1) {
    const single = bytes[index]! << 16;
    text += ALPHABET[single >> 18]! + ALPHABET[(single >> 12) & 63]!;
  } else if (rest === 2) {
    const pair = (bytes[index]! << 16) | (bytes[index + 1]! << 8);
    text += ALPHABET[pair >> 18]! + ALPHABET[(pair >> 12) & 63]! + ALPHABET[(pair >> 6) & 63]!;
  }
  return text;
}
