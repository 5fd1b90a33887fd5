import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { WebCryptoDeviceKey, type DeviceKey, type DevicePublicJwk } from './device-key.js';

export interface FileDeviceKeyOptions {
  /** The file that holds the key (a private JWK); its directory is created (0700) if missing. */
  readonly path: string;
}

type PrivateJwk = DevicePublicJwk & { readonly d: string };

/**
 * A device key for Node apps and CLIs: a P-256 key in a file of its own, as a private JWK with
 * mode 0600, made on first use. In memory it is a non-extractable WebCrypto key; on disk it is as
 * safe as the file, like an SSH key: a desktop app that can use the OS keychain or a TPM
 * implements DeviceKey over that instead. A file that is not such a key is an error rather than
 * replaced: a new key would silently unbind the device (delete the file and log in again).
 */
export class FileDeviceKey implements DeviceKey {
  readonly path: string;
  #key: Promise<WebCryptoDeviceKey> | undefined;

  constructor(options: FileDeviceKeyOptions) {
    this.path = options.path;
  }

  async publicJwk(): Promise<DevicePublicJwk> {
    return (await this.load()).publicJwk();
  }

  /** Signs without asking anyone: a browser or a file has no biometric gate, so a step-up proof is made like any other. */
  async sign(data: Uint8Array): Promise<Uint8Array> {
    return (await this.load()).sign(data);
  }

  private load(): Promise<WebCryptoDeviceKey> {
    this.#key ??= this.loadOrCreate().catch((error: unknown) => {
      this.#key = undefined; // tried again by the next proof
      throw error;
    });
    return this.#key;
  }

  private async loadOrCreate(): Promise<WebCryptoDeviceKey> {
    const stored = await this.read();
    return importKey(stored ?? (await this.create()));
  }

  private async read(): Promise<PrivateJwk | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    const jwk = parseJwk(text);
    if (!jwk) throw new Error(`${this.path} is not a P-256 device key; delete it to make a new one (the device then logs in again)`);
    return jwk;
  }

  /**
   * Written whole to a temporary file (0600, fsynced), then linked into place, which fails when
   * another process made the key first: then that key is the one, and this one is dropped.
   */
  private async create(): Promise<PrivateJwk> {
    const made = (await globalThis.crypto.subtle.exportKey(
      'jwk',
      (await globalThis.crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify'])).privateKey,
    )) as Partial<PrivateJwk>;
    const jwk: PrivateJwk = { kty: 'EC', crv: 'P-256', x: made.x!, y: made.y!, d: made.d! };
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(`${JSON.stringify(jwk)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    try {
      await link(temporary, this.path);
      return jwk;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const winner = await this.read();
      if (!winner) throw error;
      return winner;
    } finally {
      await rm(temporary, { force: true });
    }
  }
}

async function importKey(jwk: PrivateJwk): Promise<WebCryptoDeviceKey> {
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256' };
  const { subtle } = globalThis.crypto;
  const [privateKey, publicKey] = await Promise.all([
    // Non-extractable: once read, nothing in this process hands the private key out again.
    subtle.importKey('jwk', jwk, algorithm, false, ['sign']),
    subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, algorithm, true, ['verify']),
  ]);
  return new WebCryptoDeviceKey({ privateKey, publicKey });
}

function parseJwk(text: string): PrivateJwk | null {
  try {
    const value = JSON.parse(text) as Partial<PrivateJwk>;
    const fields = [value.x, value.y, value.d];
    if (value.kty !== 'EC' || value.crv !== 'P-256' || !fields.every((field) => typeof field === 'string')) return null;
    return { kty: 'EC', crv: 'P-256', x: value.x!, y: value.y!, d: value.d! };
  } catch {
    return null;
  }
}
