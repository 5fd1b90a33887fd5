import type { Device } from '../../device/domain/device.js';
import type { SessionAlert } from '../../alert/domain/session-alert.js';
import type { Session } from '../../session/domain/session.js';

export enum SessionEventType {
  SESSION_CREATED = 'SESSION_CREATED',
  SESSION_REFRESHED = 'SESSION_REFRESHED',
  SESSION_REVOKED = 'SESSION_REVOKED',
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  DEVICE_TRUSTED = 'DEVICE_TRUSTED',
  DEVICE_UNTRUSTED = 'DEVICE_UNTRUSTED',
  ALERT_RAISED = 'ALERT_RAISED',
}

/** What every device of the user receives, in the order of `version`. Crosses Redis as JSON. */
export interface SessionEventMessage {
  readonly type: SessionEventType;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly version: number;
  readonly occurredAt: Date;
  readonly session: Session | null;
  readonly device: Device | null;
  readonly alert: SessionAlert | null;
}

export const endsSession = (type: SessionEventType) =>
  type === SessionEventType.SESSION_REVOKED || type === SessionEventType.SESSION_EXPIRED;
