import type { Device, Session, SessionEvent } from './types.js';

/** The service's order for activeSessions: most recently active first. */
export function sortSessions(sessions: readonly Session[]): Session[] {
  return [...sessions].sort(
    (a, b) => b.lastActivityAt.localeCompare(a.lastActivityAt) || b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id),
  );
}

/**
 * The list after one event: pure, so that held events can be applied again on top of a fetch.
 * An event that changes nothing gives back the same array.
 */
export function applySessionEvent(sessions: readonly Session[], event: SessionEvent): readonly Session[] {
  switch (event.type) {
    case 'SESSION_CREATED':
    case 'SESSION_REFRESHED':
      if (!event.session || event.session.status !== 'ACTIVE') return sessions;
      return sortSessions([...sessions.filter((session) => session.id !== event.session!.id), event.session]);
    case 'SESSION_REVOKED':
    case 'SESSION_EXPIRED':
      return sessions.some((session) => session.id === event.sessionId)
        ? sessions.filter((session) => session.id !== event.sessionId)
        : sessions;
    case 'DEVICE_TRUSTED':
    case 'DEVICE_UNTRUSTED':
    case 'DEVICE_UPDATED':
      return event.device ? withDevice(sessions, event.device) : sessions;
    case 'DEVICE_REMOVED': {
      // Its sessions have ended; their own events say so too, but may come after this one.
      const removed = event.device?.id;
      return removed !== undefined && sessions.some((session) => session.device.id === removed)
        ? sessions.filter((session) => session.device.id !== removed)
        : sessions;
    }
    case 'ALERT_RAISED':
    case 'ALERT_ACKNOWLEDGED':
      return sessions;
    default:
      // An event type from a newer service: nothing this list knows how to apply.
      return sessions;
  }
}

function withDevice(sessions: readonly Session[], device: Device): readonly Session[] {
  if (!sessions.some((session) => session.device.id === device.id)) return sessions;
  return sessions.map((session) => (session.device.id === device.id ? { ...session, device } : session));
}
