import type { AddressHistory } from '../../activity/domain/session-activity.js';
import type { Device } from '../../device/domain/device.js';
import type { Session } from './session.js';

/** What the session module publishes on DomainEvents: logins, refreshes, ends, and refused logins. */
export type SessionDomainEvent =
  | { readonly type: 'SESSION_CREATED'; readonly version: number; readonly session: Session; readonly device: Device }
  | {
      readonly type: 'SESSION_REFRESHED';
      readonly version: number;
      readonly session: Session;
      readonly device: Device;
      /** The refresh's activity entry was written in its own transaction; this is what the log held before it. */
      readonly recorded: AddressHistory;
    }
  | { readonly type: 'SESSION_ENDED'; readonly version: number; readonly session: Session }
  /** The following carry no version: they are not changes of their own, but causes or details of one. */
  | { readonly type: 'REFRESH_TOKEN_REUSED'; readonly session: Session }
  /** A refresh token of a session bound to a device key came without a proof by that key: a copy was taken. Nothing ends. */
  | { readonly type: 'DEVICE_KEY_REFUSED'; readonly session: Session }
  /** A login beyond MAX_SESSIONS_PER_USER ended the least recently active sessions. */
  | { readonly type: 'SESSION_LIMIT_REACHED'; readonly userId: string; readonly endedSessions: readonly Session[] }
  /** A wrong password for an existing account, or a login refused by the brute-force limit. */
  | { readonly type: 'LOGIN_FAILED'; readonly userId: string; readonly reason: 'INVALID_CREDENTIALS' | 'RATE_LIMITED' }
  /** The account's failed logins reached LOGIN_MAX_FAILURES within the window: once per burst. */
  | { readonly type: 'BRUTE_FORCE_DETECTED'; readonly userId: string; readonly failures: number };

declare module '../../../events/domain-events.js' {
  interface DomainEventsByModule {
    session: SessionDomainEvent;
  }
}
