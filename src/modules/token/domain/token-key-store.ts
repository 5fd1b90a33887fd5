import { createPrivateKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Inject, Injectable, Logger, type BeforeApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventBus } from '../../../events/event-bus.js';
import type { JWK } from 'jose';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DataCipher } from '../../../common/data-cipher.js';
import { SigningKeyRepository } from '../data/signing-key.repository.js';
import type { SigningKeyEntity } from '../data/signing-key.entity.js';
import { SIGNING_ALGORITHM } from './access-token.js';
import { MIN_MODULUS_BITS, openSigningKey, sealSigningKey, UntrustedSigningKey, type TrustedSigningKey } from './signing-key-seal.js';

const generateRsaKeyPair = promisify(generateKeyPair);
/** A token signed with an unknown kid may come from a key another instance just created. */
const RELOAD_ON_MISS_INTERVAL_MS = 5_000;
/** Every instance re-reads the key set this often, so a rotation reaches it even without the bus. */
const PERIODIC_RELOAD_MS = 30_000;
/** Told on the bus when the key set changes, so every instance re-reads it at once. */
export const SIGNING_KEYS_CHANNEL = 'signing-keys';

export interface ActiveSigningKey {
  readonly kid: string;
  readonly privateKey: KeyObject;
}

/**
 * Owns the RS256 key set: the active signing key (decrypted in memory only) and the public
 * keys that verification may use. Keys live in the database, sealed with DATA_ENCRYPTION_KEY,
 * so every instance of a deployment signs and verifies with the same set. A row is used only
 * once its seal opens (signing-key-seal.ts): write access to the database is not enough to
 * add a key that tokens would be accepted with.
 */
@Injectable()
export class TokenKeyStore implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(TokenKeyStore.name);
  private active: ActiveSigningKey | undefined;
  private verificationKeys = new Map<string, KeyObject>();
  private publishedKeys: JWK[] = [];
  private lastReloadAt = 0;
  private reloadTimer: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private backgroundReload: Promise<void> | undefined;
  private stopped = false;
  /** So that a bad row costs one error line, not one per re-read. */
  private readonly refusalsLogged = new Set<string>();

  constructor(
    private readonly keys: SigningKeyRepository,
    private readonly cipher: DataCipher,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    await (this.config.signingKeyFile ? this.adoptKeyFile(this.config.signingKeyFile) : this.ensureActiveKey());
    await this.reload();
    this.unsubscribe = await this.bus.subscribe(SIGNING_KEYS_CHANNEL, () => void this.reloadQuietly());
    this.reloadTimer = setInterval(() => void this.reloadQuietly(), PERIODIC_RELOAD_MS);
    this.reloadTimer.unref();
  }

  /** Before the database closes: no background re-read may start, and one under way is awaited. */
  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.reloadTimer);
    this.unsubscribe?.();
    await this.backgroundReload;
  }

  /**
   * Makes a new key the active one (`npm run keys:rotate`). The previous key stays in the JWKS
   * and keeps verifying until every token it signed has expired, so nobody is logged out.
   */
  async rotate(): Promise<string> {
    const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: MIN_MODULUS_BITS });
    const sealed = await this.seal(privateKey);
    await this.keys.inKeyCreationLock((tx) => this.keys.insertActive(tx, sealed));
    await this.reload();
    this.bus.publish(SIGNING_KEYS_CHANNEL, { kid: sealed.kid });
    this.logger.log(`Rotated the signing key; the active key is now ${sealed.kid}`);
    return sealed.kid;
  }

  private async reloadQuietly(): Promise<void> {
    if (this.stopped || this.backgroundReload) return;
    this.backgroundReload = this.reload()
      .catch((error: Error) => this.logger.warn(`Could not re-read the signing keys: ${error.message}`))
      .finally(() => (this.backgroundReload = undefined));
    await this.backgroundReload;
  }

  get signingKey(): ActiveSigningKey {
    if (!this.active) throw new Error('The signing key has not been loaded');
    return this.active;
  }

  /** Only keys of our own set, looked up by kid; never a key named or carried by the token. */
  async verificationKey(kid: string): Promise<KeyObject | undefined> {
    const known = this.verificationKeys.get(kid);
    if (known) return known;
    if (Date.now() - this.lastReloadAt < RELOAD_ON_MISS_INTERVAL_MS) return undefined;
    await this.reload();
    return this.verificationKeys.get(kid);
  }

  jwks(): { keys: JWK[] } {
    return { keys: this.publishedKeys };
  }

  /**
   * Every row is opened each time, not only the active one: that costs about a millisecond per
   * key, for a handful of keys, at start-up, every 30 seconds and at most every 5 seconds on an
   * unknown kid. When no row can be trusted, start-up fails; a background re-read only logs, and
   * the set checked earlier stays in use.
   */
  async reload(): Promise<void> {
    this.lastReloadAt = Date.now();
    const retiredAfter = new Date(this.clock.now().getTime() - this.config.accessTokenTtlMs - 60_000);
    const rows = await this.keys.listUsable(retiredAfter);
    if (rows.length === 0) throw new Error('No signing key in the database');
    const trusted = await this.trustworthy(rows);
    const active = trusted.find((key) => key.retiredAt === null) ?? trusted[0];
    if (!active) {
      throw new Error(
        `No trustworthy signing key: every signing_keys row in use (${describeKids(rows)}) failed its check against ` +
          `DATA_ENCRYPTION_KEY, for the reasons logged. Check that DATA_ENCRYPTION_KEY is this deployment's key; if it is, ` +
          `those rows were altered outside Tessera: delete them and start again, and a new key is generated.`,
      );
    }
    this.verificationKeys = new Map(trusted.map((key) => [key.kid, key.publicKey]));
    this.publishedKeys = trusted.map((key) => ({ ...key.publicJwk, kid: key.kid, alg: SIGNING_ALGORITHM, use: 'sig' }));
    this.active = { kid: active.kid, privateKey: active.privateKey };
  }

  private async trustworthy(rows: SigningKeyEntity[]): Promise<TrustedSigningKey[]> {
    const trusted: TrustedSigningKey[] = [];
    for (const row of rows) {
      try {
        trusted.push(await openSigningKey(row, this.cipher));
      } catch (error) {
        if (!(error instanceof UntrustedSigningKey)) throw error;
        const report = `${row.kid}\n${error.message}`;
        if (this.refusalsLogged.has(report)) continue;
        this.refusalsLogged.add(report);
        this.logger.error(
          `Refused signing key ${printable(row.kid)}: ${error.message}. It signs nothing, verifies nothing and is not published.`,
        );
      }
    }
    return trusted;
  }

  private async ensureActiveKey(): Promise<void> {
    await this.keys.inKeyCreationLock(async (tx) => {
      if (await this.keys.findActive(tx)) return;
      const { privateKey } = await generateRsaKeyPair('rsa', { modulusLength: MIN_MODULUS_BITS });
      await this.keys.insertActive(tx, await this.seal(privateKey));
      this.logger.log('Generated a new RS256 signing key');
    });
  }

  private async adoptKeyFile(path: string): Promise<void> {
    const privateKey = createPrivateKey(await readFile(path, 'utf8'));
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (privateKey.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
      throw new Error(`SIGNING_KEY_FILE must hold an RSA private key of at least ${MIN_MODULUS_BITS} bits`);
    }
    const sealed = await this.seal(privateKey);
    await this.keys.inKeyCreationLock(async (tx) => {
      const existing = await this.keys.findByKid(tx, sealed.kid);
      if (!existing) {
        await this.keys.insertActive(tx, sealed);
        this.logger.log('Imported the signing key from SIGNING_KEY_FILE');
      } else if (existing.retiredAt !== null) {
        await this.keys.reactivate(tx, sealed.kid, this.clock.now());
      }
    });
  }

  private seal(privateKey: KeyObject): Promise<SigningKeyEntity> {
    return sealSigningKey(privateKey, this.cipher, this.clock.now());
  }
}

/** A kid read from the database is whatever someone wrote there; a log line gets a bounded one. */
function printable(kid: string): string {
  return kid.length <= 64 ? kid : `${kid.slice(0, 64)}…`;
}

function describeKids(rows: SigningKeyEntity[]): string {
  const named = rows.slice(0, 5).map((row) => printable(row.kid));
  return rows.length > named.length ? `${named.join(', ')} and ${rows.length - named.length} more` : named.join(', ');
}
