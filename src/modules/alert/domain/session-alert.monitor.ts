import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { DomainEvent } from '../../../events/domain-events.js';
import { SessionActivityService } from '../../activity/domain/session-activity.service.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { UserChange, type ChangeScope, type ChangeWatcher } from '../../session/domain/user-change.js';
import { SessionAlertService } from './session-alert.service.js';
import { alertsFor, type AlertContext } from './session-alert.rules.js';

/**
 * Applies the alert rules to every change, inside the change's transaction and under the user's
 * lock: an alert commits with the change that raised it, and the rules' questions ("seen
 * before?") are asked before the change's own activity entries are written, so that an event
 * never counts as its own precedent.
 */
@Injectable()
export class SessionAlertMonitor implements OnModuleInit, ChangeWatcher {
  readonly stage = 'rules';

  constructor(
    private readonly userChange: UserChange,
    private readonly activity: SessionActivityService,
    private readonly alerts: SessionAlertService,
    private readonly devices: DeviceService,
  ) {}

  onModuleInit(): void {
    this.userChange.watch(this);
  }

  async inTransaction(change: ChangeScope, events: readonly DomainEvent[]): Promise<void> {
    for (const event of events) {
      for (const candidate of alertsFor(event, await this.contextFor(change, event))) {
        await this.alerts.raise(change, candidate, event.client ?? change.client);
      }
    }
  }

  /** Only a refresh's context comes without a query (its statement asked the log), so only it can be told in advance. */
  addsNothingTo(written: DomainEvent): boolean {
    return written.type === 'SESSION_REFRESHED' && alertsFor(written, written.recorded).length === 0;
  }

  private async contextFor(change: ChangeScope, event: DomainEvent): Promise<AlertContext> {
    if (event.type === 'DEVICE_REGISTERED') {
      const opened = change.events.find((other) => other.type === 'SESSION_CREATED' && other.device.id === event.device.id);
      return {
        hadOtherDevices: (await this.devices.listForUser(event.device.userId, change.tx)).length > 1,
        sessionId: opened?.type === 'SESSION_CREATED' ? opened.session.id : undefined,
      };
    }
    // The busiest event: the rotation asked the log in its own statement.
    if (event.type === 'SESSION_REFRESHED') return event.recorded;
    if (event.type === 'SESSION_CREATED' && event.client?.ipAddress) {
      return this.activity.addressContext(change.tx, event.session.userId, event.client.ipAddress, event.session.createdAt);
    }
    return {};
  }
}
