import type { Device } from '../../device/domain/device.js';
import type { SessionAlert } from '../../alert/domain/session-alert.js';
import type { DomainEvent } from '../../../events/domain-events.js';
import { SessionStatus, type Session } from '../../session/domain/session.js';

export enum SessionEventType {
  SESSION_CREATED = 'SESSION_CREATED',
  SESSION_REFRESHED = 'SESSION_REFRESHED',
  SESSION_REVOKED = 'SESSION_REVOKED',
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  DEVICE_TRUSTED = 'DEVICE_TRUSTED',
  DEVICE_UNTRUSTED = 'DEVICE_UNTRUSTED',
  ALERT_RAISED = 'ALERT_RAISED',
  ALERT_ACKNOWLEDGED = 'ALERT_ACKNOWLEDGED',
  DEVICE_UPDATED = 'DEVICE_UPDATED',
  DEVICE_REMOVED = 'DEVICE_REMOVED',
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

/**
 * The message a versioned domain event becomes for the user's devices, or undefined for events
 * that are not changes to what a device shows (what follows from them has an event of its own).
 * `devices` holds the devices of ended sessions, which their events do not carry.
 */
export function sessionEventFor(
  event: DomainEvent,
  occurredAt: Date,
  devices: ReadonlyMap<string, Device>,
): SessionEventMessage | undefined {
  const base = { occurredAt, session: null, device: null, alert: null };
  switch (event.type) {
    case 'SESSION_CREATED':
    case 'SESSION_REFRESHED':
      return {
        ...base,
        type: SessionEventType[event.type],
        userId: event.session.userId,
        sessionId: event.session.id,
        version: event.version,
        session: event.session,
        device: event.device,
      };
    case 'SESSION_ENDED': {
      const { session } = event;
      const type = session.status === SessionStatus.EXPIRED ? SessionEventType.SESSION_EXPIRED : SessionEventType.SESSION_REVOKED;
      return {
        ...base,
        type,
        userId: session.userId,
        sessionId: session.id,
        version: event.version,
        session,
        device: devices.get(session.deviceId) ?? null,
      };
    }
    case 'DEVICE_TRUSTED':
    case 'DEVICE_UNTRUSTED':
    case 'DEVICE_RENAMED':
    case 'DEVICE_REMOVED':
      return {
        ...base,
        type: event.type === 'DEVICE_RENAMED' ? SessionEventType.DEVICE_UPDATED : SessionEventType[event.type],
        userId: event.device.userId,
        sessionId: null,
        version: event.version,
        device: event.device,
      };
    case 'ALERT_RAISED':
      return {
        ...base,
        type: SessionEventType.ALERT_RAISED,
        userId: event.alert.userId,
        sessionId: event.alert.sessionId,
        version: event.version,
        occurredAt: event.alert.createdAt,
        alert: event.alert,
      };
    case 'ALERT_ACKNOWLEDGED':
      return {
        ...base,
        type: SessionEventType.ALERT_ACKNOWLEDGED,
        userId: event.alert.userId,
        sessionId: event.alert.sessionId,
        version: event.version,
        alert: event.alert,
      };
    case 'ALERT_REPORTED':
    case 'PASSWORD_CHANGED':
    case 'REAUTHENTICATED':
    case 'ACCOUNT_DISABLED':
    case 'ACCOUNT_ENABLED':
    case 'ROLES_CHANGED':
    case 'REFRESH_TOKEN_REUSED':
    case 'DEVICE_KEY_REFUSED':
    case 'LOGIN_FAILED':
    case 'BRUTE_FORCE_DETECTED':
    case 'SESSION_LIMIT_REACHED':
    case 'DEVICE_REGISTERED':
      return undefined;
  }
}

/** A refresh's message, before the rotation's statement gives it its version. */
export const refreshedMessage = (session: Session, device: Device, occurredAt: Date): SessionEventMessage => ({
  type: SessionEventType.SESSION_REFRESHED,
  userId: session.userId,
  sessionId: session.id,
  version: 0,
  occurredAt,
  session,
  device,
  alert: null,
});
