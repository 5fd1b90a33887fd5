import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { StoredSession, TokenStore } from './token-store.js';

export interface EncryptedFileTokenStoreOptions {
  /** The file that holds the session; its directory is created (0700) if missing. */
  readonly path: string;
  /** 32 bytes the app supplies and keeps elsewhere (an OS keyring, a secret manager): the file alone reveals nothing. */
  readonly key: Uint8Array;
}

const FORMAT_VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds the ciphertext to its purpose, so that a file sealed for something else under the same key does not open here. */
const ASSOCIATED_DATA = Buffer.from('tessera-token-store:v1');

/**
 * The session in a file for Node apps and CLIs: AES-256-GCM with a key the app supplies, a fresh
 * IV per write, written to a temporary file with mode 0600 and renamed over the old one, so
 * that a crash leaves either the old session or the new one.
 */
export class EncryptedFileTokenStore implements TokenStore {
  readonly path: string;
  readonly #key: Buffer;

  constructor(options: EncryptedFileTokenStoreOptions) {
    if (options.key.byteLength !== 32) throw new RangeError('EncryptedFileTokenStore needs a 32-byte key (AES-256)');
    this.path = options.path;
    this.#key = Buffer.from(options.key);
  }

  /**
   * The stored session, or null when there is none or the file cannot be opened with this key
   * (another key, a damaged file): the user logs in again and the next write replaces it.
   */
  async read(): Promise<StoredSession | null> {
    let sealed: Buffer;
    try {
      sealed = await readFile(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    try {
      return parseSession(this.open(sealed));
    } catch {
      return null;
    }
  }

  async write(session: StoredSession): Promise<void> {
    const sealed = this.seal(Buffer.from(JSON.stringify({ refreshToken: session.refreshToken, sessionId: session.sessionId })));
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    const temporary = `${this.path}.${randomBytes(6).toString('hex')}.tmp`;
    const file = await open(temporary, 'wx', 0o600);
    try {
      await file.writeFile(sealed);
      await file.sync(); // on disk before the rename makes it the session
    } finally {
      await file.close();
    }
    try {
      await rename(temporary, this.path);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }

  private seal(plaintext: Buffer): Buffer {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(ASSOCIATED_DATA);
    const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([Buffer.from([FORMAT_VERSION]), iv, cipher.getAuthTag(), ciphertext]);
  }

  private open(sealed: Buffer): Buffer {
    if (sealed[0] !== FORMAT_VERSION || sealed.length < 1 + IV_BYTES + TAG_BYTES) throw new Error('Unknown token file format');
    const iv = sealed.subarray(1, 1 + IV_BYTES);
    const tag = sealed.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(ASSOCIATED_DATA);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(sealed.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}

function parseSession(plaintext: Buffer): StoredSession {
  const value = JSON.parse(plaintext.toString('utf8')) as Partial<StoredSession>;
  if (typeof value.refreshToken !== 'string' || typeof value.sessionId !== 'string') throw new Error('Not a stored session');
  return { refreshToken: value.refreshToken, sessionId: value.sessionId };
}
