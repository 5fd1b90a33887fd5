import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { calculateJwkThumbprint } from 'jose';
import { DataCipher } from '../../../common/data-cipher.js';
import type { SigningKeyEntity } from '../data/signing-key.entity.js';
import { openSigningKey, sealSigningKey, UntrustedSigningKey } from './signing-key-seal.js';

const cipher = new DataCipher(randomBytes(32));
const rsa = (modulusLength = 2048) => generateKeyPairSync('rsa', { modulusLength }).privateKey;
const ours = rsa();
const theirs = rsa();
const publicJwkOf = (key: KeyObject) => {
  const { kty, n, e } = key.export({ format: 'jwk' });
  return { kty, n, e };
};

async function refusal(row: SigningKeyEntity, using = cipher): Promise<string> {
  const error = await openSigningKey(row, using).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(UntrustedSigningKey);
  return (error as Error).message;
}

describe('a signing key row read from the database', () => {
  it('opens when Tessera sealed it, giving the public key derived from the sealed private key', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    const opened = await openSigningKey(row, cipher);
    expect(opened.kid).toBe(await calculateJwkThumbprint(publicJwkOf(ours), 'sha256'));
    expect(opened.publicJwk).toEqual(publicJwkOf(ours));
    expect(opened.publicKey.export({ format: 'jwk' })).toEqual(publicJwkOf(ours));
  });

  it('is refused when its ciphertext is garbage or sealed under another DATA_ENCRYPTION_KEY', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    expect(await refusal({ ...row, privateKeyCiphertext: randomBytes(row.privateKeyCiphertext.length) })).toMatch(/does not open/);
    expect(await refusal(row, new DataCipher(randomBytes(32)))).toMatch(/does not open/);
  });

  it('is refused when it carries another row’s sealed key', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    const other = await sealSigningKey(theirs, cipher, new Date());
    expect(await refusal({ ...other, privateKeyCiphertext: row.privateKeyCiphertext })).toMatch(/does not open/);
  });

  it('is refused when its public key was swapped or added to', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    expect(await refusal({ ...row, publicJwk: publicJwkOf(theirs) })).toMatch(/public_jwk/);
    expect(await refusal({ ...row, publicJwk: { ...row.publicJwk, alg: 'none' } })).toMatch(/public_jwk/);
  });

  it('is refused when its kid is not its key’s thumbprint, even under the right associated data', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    const kid = 'a-kid-of-someone-elses-choosing';
    const ciphertext = cipher.encrypt(ours.export({ format: 'der', type: 'pkcs8' }), `signing-key:${kid}`);
    expect(await refusal({ ...row, kid, privateKeyCiphertext: ciphertext })).toMatch(/thumbprint/);
  });

  it('is refused when it names another algorithm or holds a short RSA key', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    expect(await refusal({ ...row, algorithm: 'HS256' })).toMatch(/algorithm/);
    expect(await refusal(await sealSigningKey(rsa(1024), cipher, new Date()))).toMatch(/2048 bits/);
  });

  it('never puts key material in the reason it gives', async () => {
    const row = await sealSigningKey(ours, cipher, new Date());
    const reason = await refusal({ ...row, publicJwk: publicJwkOf(theirs) });
    for (const material of [publicJwkOf(ours).n!, publicJwkOf(theirs).n!, row.privateKeyCiphertext.toString('base64')]) {
      expect(reason).not.toContain(material);
    }
  });
});
