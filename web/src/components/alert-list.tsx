import type { SessionAlert } from '../sdk.js';
import { Timestamp } from './timestamp.js';

const SEVERITY: Record<string, string> = { CRITICAL: 'Critical', WARNING: 'Warning', INFO: 'Info' };
const TITLES: Record<string, string> = {
  NEW_DEVICE: 'Sign-in from a new device',
  REFRESH_TOKEN_REUSE: 'A session’s credentials were reused',
  NEW_IP_ADDRESS: 'Sign-in from a new address',
  BRUTE_FORCE: 'Many failed sign-in attempts',
  SESSION_LIMIT_REACHED: 'Older sessions were ended',
  SESSION_REVOKED_BY_ADMIN: 'An administrator ended a session',
  PASSWORD_CHANGED: 'Your password was changed',
};

/**
 * Alerts about something someone did on a session that is still running (a sign-in, a password
 * change): "This wasn't me" ends that session. The others name a session that had already ended.
 */
const DISOWNABLE = new Set(['NEW_DEVICE', 'NEW_IP_ADDRESS', 'PASSWORD_CHANGED']);

export interface AlertListProps {
  /** Open alerts, and acknowledged ones the page has heard of; the acknowledged show only with `history`. */
  readonly alerts: readonly SessionAlert[];
  readonly history: boolean;
  /** This page's session: an alert about it was this very sign-in, so it has no "This wasn't me". */
  readonly currentSessionId: string | null;
  readonly busy: ReadonlySet<string>;
  readonly onAcknowledge: (alertId: string) => void;
  /** "This wasn't me": ends the session the alert names. */
  readonly onReport: (alertId: string) => void;
  readonly onShowHistory: (show: boolean) => void;
}

/** Alerts nobody has acknowledged yet, most recent first; on request, the acknowledged ones below them. */
export function AlertList({ alerts, history, currentSessionId, busy, onAcknowledge, onReport, onShowHistory }: AlertListProps) {
  const open = alerts.filter((alert) => !alert.acknowledgedAt);
  const acknowledged = alerts.filter((alert) => alert.acknowledgedAt);
  return (
    <section aria-labelledby="alerts-title" className="panel">
      <div className="panel-heading">
        <h2 id="alerts-title">
          Alerts <span className="count">({open.length})</span>
        </h2>
        <label className="toggle">
          <input type="checkbox" checked={history} onChange={(event) => onShowHistory(event.target.checked)} />
          Show acknowledged alerts
        </label>
      </div>
      {open.length === 0 ? (
        <p className="hint" data-testid="no-alerts">
          Nothing suspicious to review.
        </p>
      ) : (
        <ul className="cards" aria-label="Unacknowledged alerts">
          {open.map((alert) => (
            <AlertCard
              key={alert.id}
              alert={alert}
              busy={busy.has(alert.id)}
              onAcknowledge={onAcknowledge}
              onReport={alert.sessionId && alert.sessionId !== currentSessionId && DISOWNABLE.has(alert.type) ? onReport : undefined}
            />
          ))}
        </ul>
      )}
      {history && (
        <>
          <h3 className="subheading" id="acknowledged-alerts-title">
            Acknowledged
          </h3>
          {busy.has('alert-history') ? (
            <p className="hint" role="status">
              Loading earlier alerts…
            </p>
          ) : acknowledged.length === 0 ? (
            <p className="hint" data-testid="no-acknowledged-alerts">
              No acknowledged alerts.
            </p>
          ) : (
            <ul className="cards" aria-labelledby="acknowledged-alerts-title">
              {acknowledged.map((alert) => (
                <AlertCard key={alert.id} alert={alert} busy={false} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

/** One alert; an open one has its answers: "I know about it", and "that was not me" when `onReport` is given. */
function AlertCard(props: {
  alert: SessionAlert;
  busy: boolean;
  onAcknowledge?: (alertId: string) => void;
  onReport?: (alertId: string) => void;
}) {
  const { alert, busy, onAcknowledge, onReport } = props;
  const title = TITLES[alert.type] ?? alert.type;
  const occurrences = (alert.details as { occurrences?: unknown } | null)?.occurrences;
  const severity = alert.severity.toLowerCase();
  return (
    <li
      className={`card alert severity-${severity}${alert.acknowledgedAt ? ' acknowledged' : ''}`}
      data-alert-id={alert.id}
      data-testid={alert.acknowledgedAt ? 'acknowledged-alert' : 'alert'}
    >
      <div className="card-title">
        <h3>{title}</h3>
        <span className={`badge severity-${severity}`}>{SEVERITY[alert.severity] ?? alert.severity}</span>
      </div>
      <p>{alert.message}</p>
      <p className="meta">
        <Timestamp iso={alert.createdAt} />
        {typeof occurrences === 'number' && occurrences > 1 ? ` · ${occurrences} times` : ''}
      </p>
      {alert.acknowledgedAt ? (
        <p className="meta">
          Acknowledged <Timestamp iso={alert.acknowledgedAt} />
        </p>
      ) : (
        <div className="actions">
          <button type="button" onClick={() => onAcknowledge?.(alert.id)} disabled={busy} aria-label={`Acknowledge: ${title}`}>
            Acknowledge
          </button>
          {onReport && (
            <button
              type="button"
              className="danger-outline"
              onClick={() => onReport(alert.id)}
              disabled={busy}
              aria-label={`This wasn’t me: ${title}`}
            >
              This wasn’t me
            </button>
          )}
        </div>
      )}
    </li>
  );
}
