import { createHmac, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';

const SLOT_BYTES = 6;
const MAC_BYTES = 16;

/**
 * Server-provided DPoP nonces (RFC 9449 §8): a proof carrying one was made after the service
 * handed it out, so a proof made in advance (by malware, for later) does not pass. Stateless and
 * shared by every instance: a nonce is the number of its period and an HMAC of it under a secret
 * kept in the database, so any instance can check any instance's nonce. Each is handed out for
 * DPOP_NONCE_PERIOD and accepted for two, so one handed out just before the change still works.
 */
@Injectable()
export class DpopNonces implements OnModuleInit {
  private key: Buffer | undefined;

  constructor(
    private readonly secrets: AppSecretRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.key = await this.secrets.getOrCreate('dpop-nonce', this.clock.now());
  }

  /** The nonce to hand out now. */
  current(): string {
    return this.nonceFor(this.slotAt(this.clock.now()));
  }

  isFresh(nonce: string): boolean {
    const bytes = Buffer.from(nonce, 'base64url');
    if (bytes.length !== SLOT_BYTES + MAC_BYTES || bytes.toString('base64url') !== nonce) return false;
    const slot = bytes.readUIntBE(0, SLOT_BYTES);
    const now = this.slotAt(this.clock.now());
    if (slot !== now && slot !== now - 1) return false;
    return timingSafeEqual(bytes.subarray(SLOT_BYTES), this.macOf(slot));
  }

  private slotAt(at: Date): number {
    return Math.floor(at.getTime() / this.config.dpopNoncePeriodMs);
  }

  private nonceFor(slot: number): string {
    const bytes = Buffer.alloc(SLOT_BYTES);
    bytes.writeUIntBE(slot, 0, SLOT_BYTES);
    return Buffer.concat([bytes, this.macOf(slot)]).toString('base64url');
  }

  private macOf(slot: number): Buffer {
    if (!this.key) throw new Error('DpopNonces is not initialised');
    return createHmac('sha256', this.key).update(`dpop-nonce:${slot}`).digest().subarray(0, MAC_BYTES);
  }
}
