import { Injectable } from '@nestjs/common';
import { forbidden, notFound } from '../../../common/domain-error.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { UserChange } from '../../session/domain/user-change.js';
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
    private readonly terminator: SessionTerminator,
    private readonly userChange: UserChange,
  ) {}

  async listDevices(actor: Actor, userId: string = actor.userId): Promise<Device[]> {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s devices.');
    return this.devices.listForUser(userId);
  }

  async trust(actor: Actor, deviceId: string): Promise<Device> {
    const { userId } = await this.getManageable(actor, deviceId);
    const device = await this.userChange.run(userId, actor.client, async (change) => {
      const device = await this.devices.setTrusted(change.tx, deviceId, true, change.now);
      if (device) change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: actor.client });
      return device;
    });
    if (!device) throw notFound('device');
    return device;
  }

  /** The device's sessions end at once (DEVICE_UNTRUSTED): whoever holds it must sign in again. */
  async untrust(actor: Actor, deviceId: string): Promise<Device> {
    const { userId } = await this.getManageable(actor, deviceId);
    const device = await this.userChange.run(userId, actor.client, async (change) => {
      const endedSessions = await this.terminator.endAllOnDevice(change, deviceId, SessionEndReason.DEVICE_UNTRUSTED);
      const device = await this.devices.setTrusted(change.tx, deviceId, false, change.now);
      if (device) change.emit({ type: 'DEVICE_UNTRUSTED', version: change.nextVersion(), device, endedSessions, client: actor.client });
      return device;
    });
    if (!device) throw notFound('device');
    return device;
  }

  /** Someone else's device is reported as missing: its existence is not the caller's business. */
  private async getManageable(actor: Actor, deviceId: string): Promise<Device> {
    const device = await this.devices.getById(deviceId);
    if (!device || !mayManageDevice(actor, device)) throw notFound('device');
    return device;
  }
}
