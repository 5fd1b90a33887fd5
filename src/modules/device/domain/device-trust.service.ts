import { Injectable } from '@nestjs/common';
import { DomainError, forbidden, notFound } from '../../../common/domain-error.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionStepUp } from '../../session/domain/session-step-up.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { UserChange, type ChangeScope } from '../../session/domain/user-change.js';
import { DeviceRepository } from '../data/device.repository.js';
import type { Device } from './device.js';
import { deviceNameOf, mayManageDevice } from './device.policy.js';

/**
 * What an owner decides about a device: trust, untrust, its name, forgetting it. Untrusting and
 * removing end every session on the device, in the same transaction as the change, through the
 * session module's terminator: that need of sessions is why DeviceTrustModule, not DeviceModule,
 * provides this service. Trusting and removing are sensitive (step-up).
 */
@Injectable()
export class DeviceTrustService {
  constructor(
    private readonly devices: DeviceRepository,
    private readonly terminator: SessionTerminator,
    private readonly userChange: UserChange,
    private readonly stepUp: SessionStepUp,
  ) {}

  async listDevices(actor: Actor, userId: string = actor.userId): Promise<Device[]> {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s devices.');
    return this.devices.listForUser(userId);
  }

  async trust(actor: Actor, deviceId: string): Promise<Device> {
    const { userId } = await this.getManageable(actor, deviceId);
    await this.stepUp.assertRecent(actor);
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
    const device = await this.userChange.run(userId, actor.client, (change) => this.untrustWithin(change, deviceId));
    if (!device) throw notFound('device');
    return device;
  }

  /** Inside a change of the device's owner; undefined when there is no such device (or it was removed). */
  async untrustWithin(change: ChangeScope, deviceId: string): Promise<Device | undefined> {
    const endedSessions = await this.terminator.endAllOnDevice(change, deviceId, SessionEndReason.DEVICE_UNTRUSTED);
    const device = await this.devices.setTrusted(change.tx, deviceId, false, change.now);
    if (device) change.emit({ type: 'DEVICE_UNTRUSTED', version: change.nextVersion(), device, endedSessions, client: change.client });
    return device;
  }

  /** The owner's name for the device, which the app's own report at login no longer replaces. */
  async rename(actor: Actor, deviceId: string, requestedName: string): Promise<Device> {
    const named = deviceNameOf(requestedName);
    if ('problem' in named) throw new DomainError('BAD_USER_INPUT', named.problem, { fields: ['name'] });
    const { userId } = await this.getManageable(actor, deviceId);
    const device = await this.userChange.run(userId, actor.client, async (change) => {
      const renamed = await this.devices.rename(change.tx, deviceId, named.name);
      if (renamed && renamed.previousName !== renamed.device.name) {
        change.emit({ type: 'DEVICE_RENAMED', version: change.nextVersion(), ...renamed, client: actor.client });
      }
      return renamed?.device;
    });
    if (!device) throw notFound('device');
    return device;
  }

  /**
   * Forgets the device: its sessions end (DEVICE_REMOVED), it leaves the list, and the next login
   * from it is a new device again, with the NEW_DEVICE alert that brings.
   */
  async remove(actor: Actor, deviceId: string): Promise<boolean> {
    const { userId } = await this.getManageable(actor, deviceId);
    await this.stepUp.assertRecent(actor);
    const removed = await this.userChange.run(userId, actor.client, async (change) => {
      const endedSessions = await this.terminator.endAllOnDevice(change, deviceId, SessionEndReason.DEVICE_REMOVED);
      const device = await this.devices.remove(change.tx, deviceId, change.now);
      if (device) change.emit({ type: 'DEVICE_REMOVED', version: change.nextVersion(), device, endedSessions, client: actor.client });
      return device;
    });
    if (!removed) throw notFound('device');
    return true;
  }

  /** Someone else's device is reported as missing: its existence is not the caller's business. */
  private async getManageable(actor: Actor, deviceId: string): Promise<Device> {
    const device = await this.devices.getLiveById(deviceId);
    if (!device || !mayManageDevice(actor, device)) throw notFound('device');
    return device;
  }
}
