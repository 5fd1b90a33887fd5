import type { DomainEvent } from '../../../events/domain-events.js';
import { SessionEndReason } from '../../session/domain/session.js';
import { AlertSeverity, SessionAlertType, type AlertCandidate } from './session-alert.js';

/** Repeats of one cause within this window are folded into the first alert. */
export const ALERT_FOLD_WINDOW_MS = 10 * 60_000;

/** What the rules may know beyond the event itself, looked up by the caller. */
export interface AlertContext {
  /** For NEW_DEVICE: whether the user had any device before this one (a first login is not news). */
  readonly hadOtherDevices?: boolean;
  /** For NEW_DEVICE: the session the login opened on the device, so that "this wasn't me" can end it. */
  readonly sessionId?: string;
  /** For NEW_IP_ADDRESS: whether the user has activity from this IP within ADDRESS_MEMORY_MS (a login or refresh from an address unused that long is news). */
  readonly ipSeenRecently?: boolean;
  /** For NEW_IP_ADDRESS: whether the user has any earlier activity at all. */
  readonly hasEarlierActivity?: boolean;
}

/**
 * The alert rules, as one pure function from a domain event (and a little context) to the
 * alerts it raises. Tested as a table, without a database.
 */
export function alertsFor(event: DomainEvent, context: AlertContext = {}): AlertCandidate[] {
  switch (event.type) {
    case 'DEVICE_REGISTERED': {
      if (!context.hadOtherDevices) return [];
      const { device } = event;
      return [
        {
          userId: device.userId,
          sessionId: context.sessionId ?? null,
          type: SessionAlertType.NEW_DEVICE,
          severity: AlertSeverity.WARNING,
          message: `New sign-in from a device not seen before: ${device.name ?? device.model ?? device.type}.`,
          details: { deviceId: device.id, deviceType: device.type, deviceName: device.name, ipAddress: event.client?.ipAddress ?? null },
          foldKey: `NEW_DEVICE:${device.id}`,
        },
      ];
    }
    case 'REFRESH_TOKEN_REUSED':
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionAlertType.REFRESH_TOKEN_REUSE,
          severity: AlertSeverity.CRITICAL,
          message: 'A refresh token was used twice, which means a copy of it was taken. The session has been ended.',
          details: { ipAddress: event.client?.ipAddress ?? null, userAgent: event.client?.userAgent ?? null },
          foldKey: `REFRESH_TOKEN_REUSE:${event.session.id}`,
        },
      ];
    case 'SESSION_CREATED':
    case 'SESSION_REFRESHED': {
      const ip = event.client?.ipAddress;
      if (!ip || context.ipSeenRecently || !context.hasEarlierActivity) return [];
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionAlertType.NEW_IP_ADDRESS,
          severity: AlertSeverity.INFO,
          message: `Account used from a new network address: ${ip}.`,
          details: { ipAddress: ip },
          foldKey: `NEW_IP_ADDRESS:${ip}`,
        },
      ];
    }
    case 'BRUTE_FORCE_DETECTED':
      return [
        {
          userId: event.userId,
          sessionId: null,
          type: SessionAlertType.BRUTE_FORCE,
          severity: AlertSeverity.CRITICAL,
          message: `${event.failures} failed sign-in attempts in a row; sign-in is paused for a while.`,
          details: { failures: event.failures, ipAddress: event.client?.ipAddress ?? null },
          foldKey: 'BRUTE_FORCE',
        },
      ];
    case 'SESSION_LIMIT_REACHED':
      return [
        {
          userId: event.userId,
          sessionId: null,
          type: SessionAlertType.SESSION_LIMIT_REACHED,
          severity: AlertSeverity.INFO,
          message: `Signed in on too many devices: the least recently used ${event.endedSessions.length === 1 ? 'session was' : 'sessions were'} ended.`,
          details: { endedSessionIds: event.endedSessions.map((session) => session.id) },
          foldKey: 'SESSION_LIMIT_REACHED',
        },
      ];
    case 'SESSION_ENDED':
      if (event.session.endReason !== SessionEndReason.REVOKED_BY_ADMIN) return [];
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionAlertType.SESSION_REVOKED_BY_ADMIN,
          severity: AlertSeverity.WARNING,
          message: 'An administrator ended one of your sessions.',
          details: {},
          foldKey: 'SESSION_REVOKED_BY_ADMIN',
        },
      ];
    case 'DEVICE_KEY_REFUSED':
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionAlertType.REFRESH_WITHOUT_DEVICE_KEY,
          severity: AlertSeverity.CRITICAL,
          message:
            'A copy of a refresh token of this session was used without the device’s key, and refused. The session on the device goes on; change your password if you do not know how the copy was taken.',
          details: { ipAddress: event.client?.ipAddress ?? null, userAgent: event.client?.userAgent ?? null },
          foldKey: `REFRESH_WITHOUT_DEVICE_KEY:${event.session.id}`,
        },
      ];
    case 'PASSWORD_CHANGED':
      return [
        {
          userId: event.userId,
          sessionId: event.sessionId,
          type: SessionAlertType.PASSWORD_CHANGED,
          severity: AlertSeverity.INFO,
          message: 'Your password was changed, and every other session was ended.',
          details: { ipAddress: event.client?.ipAddress ?? null, userAgent: event.client?.userAgent ?? null },
          // Each change is news of its own, however soon after the last.
          foldKey: `PASSWORD_CHANGED:${event.changedAt.toISOString()}`,
        },
      ];
    // No rule watches these: a failed login counts toward BRUTE_FORCE_DETECTED; trust, names,
    // removals and step-up are the user's own doing; an administrator's decision is logged, and
    // its consequences for sessions have events of their own; an alert does not raise another.
    case 'LOGIN_FAILED':
    case 'DEVICE_TRUSTED':
    case 'DEVICE_UNTRUSTED':
    case 'DEVICE_RENAMED':
    case 'DEVICE_REMOVED':
    case 'REAUTHENTICATED':
    case 'ACCOUNT_DISABLED':
    case 'ACCOUNT_ENABLED':
    case 'ROLES_CHANGED':
    case 'ALERT_RAISED':
    case 'ALERT_ACKNOWLEDGED':
    case 'ALERT_REPORTED':
      return [];
  }
}

/** Whether a new candidate folds into an existing alert of the same key last seen at `lastOccurredAt`. */
export function foldsInto(lastOccurredAt: Date, now: Date): boolean {
  return now.getTime() - lastOccurredAt.getTime() < ALERT_FOLD_WINDOW_MS;
}
