import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';

/** A device's key, kept where the app keeps it (Secure Enclave, StrongBox, a non-extractable WebCrypto key), signing RFC 9449 proofs. */
export class DeviceKey {
  private constructor(
    private readonly privateKey: CryptoKey,
    readonly jwk: JWK,
    readonly thumbprint: string,
  ) {}

  static async create(algorithm: 'ES256' | 'EdDSA' = 'ES256'): Promise<DeviceKey> {
    const { privateKey, publicKey } = await generateKeyPair(algorithm, algorithm === 'EdDSA' ? { crv: 'Ed25519' } : {});
    const jwk = await exportJWK(publicKey);
    return new DeviceKey(privateKey, jwk, await calculateJwkThumbprint(jwk, 'sha256'));
  }

  proof(at: Date, htm: string, htu: string, extra: { nonce?: string; accessToken?: string; jti?: string } = {}): Promise<string> {
    return new SignJWT({
      htm,
      htu,
      jti: extra.jti ?? randomUUID(),
      iat: Math.floor(at.getTime() / 1000),
      ...(extra.nonce ? { nonce: extra.nonce } : {}),
      ...(extra.accessToken ? { ath: createHash('sha256').update(extra.accessToken).digest('base64url') } : {}),
    })
      .setProtectedHeader({ alg: this.jwk.kty === 'OKP' ? 'EdDSA' : 'ES256', typ: 'dpop+jwt', jwk: this.jwk })
      .sign(this.privateKey);
  }
}
