import type { SessionAlert } from './session-alert.js';

/** What the alert module publishes on DomainEvents: a new alert (a folded repeat is not one). */
export type SessionAlertDomainEvent = { readonly type: 'ALERT_RAISED'; readonly version: number; readonly alert: SessionAlert };

declare module '../../../events/domain-events.js' {
  interface DomainEventsByModule {
    alert: SessionAlertDomainEvent;
  }
}
