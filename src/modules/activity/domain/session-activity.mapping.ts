import type { DomainEvent } from '../../../events/domain-events.js';
import { SessionEndReason, SessionStatus } from '../../session/domain/session.js';
import { SessionActivityType, type NewSessionActivity } from './session-activity.js';

/**
 * Which activity entries a domain event makes. Pure; the time of each entry is the time of the
 * change itself where the event carries it, so that the log reads in the order things happened.
 */
export function activityFor(event: DomainEvent, now: Date): NewSessionActivity[] {
  const where = { ipAddress: event.client?.ipAddress ?? null, userAgent: event.client?.userAgent ?? null };
  switch (event.type) {
    case 'SESSION_CREATED':
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionActivityType.SESSION_CREATED,
          occurredAt: event.session.createdAt,
          ...where,
          details: { deviceId: event.device.id, deviceType: event.device.type, expiresAt: event.session.expiresAt.toISOString() },
        },
      ];
    case 'SESSION_REFRESHED':
      // Written by the refresh itself, in its transaction (SessionRotationRepository).
      return [];
    case 'SESSION_ENDED': {
      const { session } = event;
      const type =
        session.endReason === SessionEndReason.LOGOUT
          ? SessionActivityType.LOGOUT
          : session.status === SessionStatus.EXPIRED
            ? SessionActivityType.SESSION_EXPIRED
            : SessionActivityType.SESSION_REVOKED;
      return [
        {
          userId: session.userId,
          sessionId: session.id,
          type,
          occurredAt: session.endedAt ?? now,
          ...where,
          details: { reason: session.endReason },
        },
      ];
    }
    case 'REFRESH_TOKEN_REUSED':
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionActivityType.REFRESH_TOKEN_REUSED,
          occurredAt: event.session.endedAt ?? now,
          ...where,
          details: null,
        },
      ];
    case 'DEVICE_REGISTERED':
    case 'DEVICE_TRUSTED':
    case 'DEVICE_UNTRUSTED':
    case 'DEVICE_RENAMED':
    case 'DEVICE_REMOVED': {
      const type = {
        DEVICE_REGISTERED: SessionActivityType.DEVICE_REGISTERED,
        DEVICE_TRUSTED: SessionActivityType.DEVICE_TRUSTED,
        DEVICE_UNTRUSTED: SessionActivityType.DEVICE_UNTRUSTED,
        DEVICE_RENAMED: SessionActivityType.DEVICE_RENAMED,
        DEVICE_REMOVED: SessionActivityType.DEVICE_REMOVED,
      }[event.type];
      const { device } = event;
      return [
        {
          userId: device.userId,
          sessionId: null,
          type,
          occurredAt: event.type === 'DEVICE_REGISTERED' ? device.firstSeenAt : now,
          ...where,
          details: {
            deviceId: device.id,
            deviceType: device.type,
            deviceName: device.name,
            ...(event.type === 'DEVICE_RENAMED' ? { previousName: event.previousName } : {}),
          },
        },
      ];
    }
    case 'LOGIN_FAILED':
      return [
        {
          userId: event.userId,
          sessionId: null,
          type: SessionActivityType.LOGIN_FAILED,
          occurredAt: now,
          ...where,
          details: { reason: event.reason },
        },
      ];
    case 'ALERT_RAISED':
      return [
        {
          userId: event.alert.userId,
          sessionId: event.alert.sessionId,
          type: SessionActivityType.ALERT_RAISED,
          occurredAt: event.alert.createdAt,
          ...where,
          details: { alertId: event.alert.id, alertType: event.alert.type, severity: event.alert.severity },
        },
      ];
    case 'ALERT_ACKNOWLEDGED':
    case 'ALERT_REPORTED':
      return [
        {
          userId: event.alert.userId,
          sessionId: event.alert.sessionId,
          type: event.type === 'ALERT_ACKNOWLEDGED' ? SessionActivityType.ALERT_ACKNOWLEDGED : SessionActivityType.ALERT_REPORTED,
          occurredAt: now,
          ...where,
          details: { alertId: event.alert.id, alertType: event.alert.type },
        },
      ];
    case 'PASSWORD_CHANGED':
      return [
        {
          userId: event.userId,
          sessionId: event.sessionId,
          type: SessionActivityType.PASSWORD_CHANGED,
          occurredAt: now,
          ...where,
          details: null,
        },
      ];
    case 'REAUTHENTICATED':
      return [
        {
          userId: event.session.userId,
          sessionId: event.session.id,
          type: SessionActivityType.REAUTHENTICATED,
          occurredAt: event.session.authenticatedAt,
          ...where,
          details: { method: event.method },
        },
      ];
    case 'ACCOUNT_DISABLED':
    case 'ACCOUNT_ENABLED':
      return [
        {
          userId: event.userId,
          sessionId: null,
          type: event.type === 'ACCOUNT_DISABLED' ? SessionActivityType.ACCOUNT_DISABLED : SessionActivityType.ACCOUNT_ENABLED,
          occurredAt: now,
          ...where,
          details: { byUserId: event.actorUserId },
        },
      ];
    case 'ROLES_CHANGED':
      return [
        {
          userId: event.userId,
          sessionId: null,
          type: SessionActivityType.ROLES_CHANGED,
          occurredAt: now,
          ...where,
          details: { byUserId: event.actorUserId, roles: [...event.roles], previousRoles: [...event.previousRoles] },
        },
      ];
    // Recorded through their consequences: the failed logins, the ended sessions, the alert.
    case 'DEVICE_KEY_REFUSED':
    case 'BRUTE_FORCE_DETECTED':
    case 'SESSION_LIMIT_REACHED':
      return [];
  }
}
