import { Injectable } from '@nestjs/common';
import { DeviceService } from '../../device/domain/device.service.js';
import { DeviceTrustService } from '../../device/domain/device-trust.service.js';
import { SessionEndReason } from '../../session/domain/session.js';
import type { Actor } from '../../session/domain/session-grant.js';
import { SessionService } from '../../session/domain/session.service.js';
import { SessionTerminator } from '../../session/domain/session-terminator.js';
import { UserChange } from '../../session/domain/user-change.js';
import type { SessionAlert } from './session-alert.js';
import { SessionAlertService } from './session-alert.service.js';

/**
 * "This wasn't me": the user answers an alert by disowning what it reports. In one change, the
 * session the alert names ends (REPORTED_BY_USER), its device is no longer trusted (which ends
 * anything else open on it), and the alert is acknowledged on every device. An alert whose
 * session has already ended is still reported and acknowledged.
 */
@Injectable()
export class SessionAlertReport {
  constructor(
    private readonly alerts: SessionAlertService,
    private readonly sessions: SessionService,
    private readonly devices: DeviceService,
    private readonly deviceTrust: DeviceTrustService,
    private readonly terminator: SessionTerminator,
    private readonly userChange: UserChange,
  ) {}

  async report(actor: Actor, alertId: string): Promise<SessionAlert> {
    const alert = await this.alerts.getVisible(actor, alertId);
    const deviceId = await this.deviceOf(actor, alert);
    return this.userChange.run(alert.userId, actor.client, async (change) => {
      // The cause before its consequences, in the log as in the events.
      change.emit({ type: 'ALERT_REPORTED', alert, client: actor.client });
      if (alert.sessionId) await this.terminator.endLocked(change, alert.sessionId, SessionEndReason.REPORTED_BY_USER);
      if (deviceId) await this.deviceTrust.untrustWithin(change, deviceId);
      return this.alerts.acknowledgeWithin(change, alert.id);
    });
  }

  /** The device of the session the alert names, or the one a NEW_DEVICE alert of an earlier version named in its details. */
  private async deviceOf(actor: Actor, alert: SessionAlert): Promise<string | undefined> {
    if (alert.sessionId) return (await this.sessions.get(actor, alert.sessionId)).deviceId;
    const named = alert.details?.deviceId;
    if (typeof named !== 'string') return undefined;
    const device = await this.devices.getById(named);
    return device?.userId === alert.userId ? device.id : undefined;
  }
}
