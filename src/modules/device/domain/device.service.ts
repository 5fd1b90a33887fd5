import { randomUUID } from 'node:crypto';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../../common/clock.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { DeviceRepository } from '../data/device.repository.js';
import type { Device, DeviceDescription } from './device.js';
import { deviceFingerprint } from './device-fingerprint.js';

export interface RecognisedDevice {
  readonly device: Device;
  /** True the first time this user logs in from this device. */
  readonly isNew: boolean;
}

@Injectable()
export class DeviceService implements OnModuleInit {
  private fingerprintKey: Buffer | undefined;

  constructor(
    private readonly devices: DeviceRepository,
    private readonly secrets: AppSecretRepository,
    private readonly clock: Clock,
  ) {}

  async onModuleInit(): Promise<void> {
    this.fingerprintKey = await this.secrets.getOrCreate('device-fingerprint', this.clock.now());
  }

  /** Runs inside the login transaction, so a failed login leaves no device behind. */
  /** `keyThumbprint`: the device key the login proved (DPoP), which the device remembers. */
  async recognise(
    tx: EntityManager,
    userId: string,
    description: DeviceDescription,
    now: Date,
    keyThumbprint?: string,
  ): Promise<RecognisedDevice> {
    if (!this.fingerprintKey) throw new Error('DeviceService is not initialised');
    const { device, inserted } = await this.devices.upsertSeen(tx, {
      id: randomUUID(),
      userId,
      fingerprint: deviceFingerprint(this.fingerprintKey, userId, description),
      description,
      now,
      keyThumbprint: keyThumbprint ?? null,
    });
    return { device, isNew: inserted };
  }

  /** `tx`: read inside a change's transaction, seeing its own writes. */
  listForUser(userId: string, tx?: EntityManager): Promise<Device[]> {
    return this.devices.listForUser(userId, tx);
  }

  getById(id: string): Promise<Device | undefined> {
    return this.devices.getById(id);
  }

  getByIds(ids: readonly string[], tx?: EntityManager): Promise<Device[]> {
    return this.devices.getByIds(ids, tx);
  }
}
