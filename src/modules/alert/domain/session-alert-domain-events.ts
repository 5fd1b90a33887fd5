import type { SessionAlert } from './session-alert.js';

/**
 * What the alert module publishes on DomainEvents: a new alert (a folded repeat is not one), an
 * acknowledgement (every device of the user hears of it, so a warning cannot be hidden on one
 * quietly), and a report ("this wasn't me"), whose consequences have events of their own.
 */
export type SessionAlertDomainEvent =
  | { readonly type: 'ALERT_RAISED'; readonly version: number; readonly alert: SessionAlert }
  | { readonly type: 'ALERT_ACKNOWLEDGED'; readonly version: number; readonly alert: SessionAlert }
  | { readonly type: 'ALERT_REPORTED'; readonly alert: SessionAlert };

declare module '../../../events/domain-events.js' {
  interface DomainEventsByModule {
    alert: SessionAlertDomainEvent;
  }
}
