import { Injectable } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { forbidden, notFound } from '../../../common/domain-error.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import { SessionEventVersionRepository } from '../../session/data/session-event-version.repository.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { DeviceRepository } from '../data/device.repository.js';
import type { Device } from './device.js';
import { mayManageDevice } from './device.policy.js';

/**
 * Trusting and untrusting devices. Untrusting ends every session on the device, in the same
 * transaction as the change, through the session module's terminator: that need of sessions is
 * why DeviceTrustModule, not DeviceModule, provides this service.
 */
@Injectable()
export class DeviceTrustService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly versions: SessionEventVersionRepository,
    private readonly terminator: SessionTerminator,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  async listDevices(actor: Actor, userId: string = actor.userId): Promise<Device[]> {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s devices.');
    return this.devices.listForUser(userId);
  }

  async trust(actor: Actor, deviceId: string): Promise<Device> {
    const { userId } = await this.getManageable(actor, deviceId);
    const { device, events } = await this.devices.transaction(async (tx) => {
      await this.versions.lockUser(tx, userId);
      const device = await this.devices.setTrusted(tx, deviceId, true, this.clock.now());
      const events: DomainEvent[] = device
        ? [{ type: 'DEVICE_TRUSTED', version: await this.versions.reserve(tx, userId, 1), device, client: actor.client }]
        : [];
      return { device, events };
    });
    if (!device) throw notFound('device');
    this.events.publishAll(events);
    return device;
  }

  /** The device's sessions end at once (DEVICE_UNTRUSTED): whoever holds it must sign in again. */
  async untrust(actor: Actor, deviceId: string): Promise<Device> {
    const { userId } = await this.getManageable(actor, deviceId);
    const now = this.clock.now();
    const { device, events } = await this.devices.transaction(async (tx) => {
      await this.versions.lockUser(tx, userId);
      const endedSessions = await this.terminator.endAllOnDevice(tx, deviceId, SessionEndReason.DEVICE_UNTRUSTED, now);
      const device = await this.devices.setTrusted(tx, deviceId, false, now);
      const events = await this.terminator.endedEvents(tx, userId, endedSessions, actor.client);
      if (device) {
        const version = await this.versions.reserve(tx, userId, 1);
        events.push({ type: 'DEVICE_UNTRUSTED', version, device, endedSessions, client: actor.client });
      }
      return { device, events };
    });
    if (!device) throw notFound('device');
    this.events.publishAll(events);
    return device;
  }

  /** Someone else's device is reported as missing: its existence is not the caller's business. */
  private async getManageable(actor: Actor, deviceId: string): Promise<Device> {
    const device = await this.devices.getById(deviceId);
    if (!device || !mayManageDevice(actor, device)) throw notFound('device');
    return device;
  }
}
