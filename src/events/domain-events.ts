import type { AddressHistory } from '../modules/activity/domain/session-activity.js';
import { Injectable, Logger } from '@nestjs/common';
import type { Device } from '../modules/device/domain/device.js';
import type { SessionAlert } from '../modules/alert/domain/session-alert.js';
import type { ClientInfo, Session } from '../modules/session/domain/session.js';

/**
 * Facts about sessions and devices, published after their transaction commits. The real-time
 * fan-out, the activity log and the alert rules subscribe here instead of being called from
 * every code path that changes a session.
 *
 * `version` is the user's event counter, reserved in the change's own transaction: each change
 * a user can see (DESIGN.md decision 7) has exactly one version, one higher than the last.
 */
export type DomainEvent = (
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
  | { readonly type: 'DEVICE_TRUSTED'; readonly version: number; readonly device: Device }
  | { readonly type: 'DEVICE_UNTRUSTED'; readonly version: number; readonly device: Device; readonly endedSessions: readonly Session[] }
  | { readonly type: 'ALERT_RAISED'; readonly version: number; readonly alert: SessionAlert }
  /** The following carry no version: they are not changes of their own, but causes or details of one. */
  | { readonly type: 'DEVICE_REGISTERED'; readonly device: Device }
  | { readonly type: 'REFRESH_TOKEN_REUSED'; readonly session: Session }
  /** A login beyond MAX_SESSIONS_PER_USER ended the least recently active sessions. */
  | { readonly type: 'SESSION_LIMIT_REACHED'; readonly userId: string; readonly endedSessions: readonly Session[] }
  /** A wrong password for an existing account, or a login refused by the brute-force limit. */
  | { readonly type: 'LOGIN_FAILED'; readonly userId: string; readonly reason: 'INVALID_CREDENTIALS' | 'RATE_LIMITED' }
  /** The account's failed logins reached LOGIN_MAX_FAILURES within the window: once per burst. */
  | { readonly type: 'BRUTE_FORCE_DETECTED'; readonly userId: string; readonly failures: number }
) & {
  /** Where the request that caused it came from; absent for the sweeper's work. */
  readonly client?: ClientInfo;
};

export type DomainEventHandler = (event: DomainEvent) => void | Promise<void>;

@Injectable()
export class DomainEvents {
  private readonly logger = new Logger(DomainEvents.name);
  private readonly handlers = new Set<DomainEventHandler>();

  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** A failing subscriber is logged and never fails the request that caused the event. */
  publish(event: DomainEvent): void {
    for (const handler of this.handlers) {
      try {
        void Promise.resolve(handler(event)).catch((error: unknown) => this.reportFailure(event, error));
      } catch (error) {
        this.reportFailure(event, error);
      }
    }
  }

  publishAll(events: readonly DomainEvent[]): void {
    for (const event of events) this.publish(event);
  }

  private reportFailure(event: DomainEvent, error: unknown): void {
    this.logger.error(`A ${event.type} subscriber failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
