import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint } from 'jose';
import type { DataCipher } from '../../../common/data-cipher.js';
import type { SigningKeyEntity } from '../data/signing-key.entity.js';
import { SIGNING_ALGORITHM } from './access-token.js';

export const MIN_MODULUS_BITS = 2048;

export interface RsaPublicJwk {
  readonly kty: string;
  readonly n: string;
  readonly e: string;
}

/** A row of signing_keys whose every key-bearing column was proven to come from Tessera. */
export interface TrustedSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** Derived from the decrypted private key, never read from the row. */
  readonly publicJwk: RsaPublicJwk;
  readonly retiredAt: Date | null;
}

/** Why a row was refused. The message names the check that failed and never any key material. */
export class UntrustedSigningKey extends Error {}

/** Binds a ciphertext to its row: one sealed for another kid does not decrypt here. */
const associatedData = (kid: string) => `signing-key:${kid}`;

function publicJwkOf(key: KeyObject): RsaPublicJwk {
  const { kty, n, e } = createPublicKey(key).export({ format: 'jwk' });
  return { kty: kty!, n: n!, e: e! };
}

export async function sealSigningKey(privateKey: KeyObject, cipher: DataCipher, now: Date): Promise<SigningKeyEntity> {
  const publicJwk = publicJwkOf(privateKey);
  const kid = await calculateJwkThumbprint(publicJwk, 'sha256');
  return {
    kid,
    algorithm: SIGNING_ALGORITHM,
    publicJwk: { ...publicJwk },
    privateKeyCiphertext: cipher.encrypt(privateKey.export({ format: 'der', type: 'pkcs8' }), associatedData(kid)),
    createdAt: now,
    activatedAt: now,
    retiredAt: null,
  };
}

/**
 * The AES-GCM seal under DATA_ENCRYPTION_KEY is the row's authenticator: only a holder of that
 * key can produce a private key that opens here, and everything a token's verification relies
 * on (kid, algorithm, public key) is derived from it or checked against it. So someone who can
 * write to the database, but does not have DATA_ENCRYPTION_KEY, cannot add a key of their own
 * or swap the public half of one of ours.
 */
export async function openSigningKey(row: SigningKeyEntity, cipher: DataCipher): Promise<TrustedSigningKey> {
  if (row.algorithm !== SIGNING_ALGORITHM) throw new UntrustedSigningKey(`its algorithm is not ${SIGNING_ALGORITHM}`);
  let privateKey: KeyObject;
  try {
    const der = cipher.decrypt(Buffer.from(row.privateKeyCiphertext), associatedData(row.kid));
    privateKey = createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } catch {
    throw new UntrustedSigningKey('its private key does not open under DATA_ENCRYPTION_KEY');
  }
  if (privateKey.asymmetricKeyType !== 'rsa' || (privateKey.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_MODULUS_BITS) {
    throw new UntrustedSigningKey(`its private key is not an RSA key of at least ${MIN_MODULUS_BITS} bits`);
  }
  const publicJwk = publicJwkOf(privateKey);
  // The seal already names the kid; checking the thumbprint too means a kid can only ever stand
  // for one key, whoever wrote the row and with whatever associated data.
  if ((await calculateJwkThumbprint(publicJwk, 'sha256')) !== row.kid) {
    throw new UntrustedSigningKey('its kid is not the thumbprint of its key');
  }
  // public_jwk is not used, but a row whose copy disagrees with the sealed key has been altered.
  if (!sameJwk(row.publicJwk, publicJwk)) throw new UntrustedSigningKey('its public_jwk is not the public half of its sealed private key');
  return { kid: row.kid, privateKey, publicKey: createPublicKey(privateKey), publicJwk, retiredAt: row.retiredAt };
}

function sameJwk(stored: unknown, derived: RsaPublicJwk): boolean {
  if (typeof stored !== 'object' || stored === null || Array.isArray(stored)) return false;
  const entries = Object.entries(stored as Record<string, unknown>);
  return entries.length === 3 && entries.every(([name, value]) => derived[name as keyof RsaPublicJwk] === value);
}
