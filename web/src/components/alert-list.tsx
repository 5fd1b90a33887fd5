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
};

export interface AlertListProps {
  readonly alerts: readonly SessionAlert[];
  readonly busy: ReadonlySet<string>;
  readonly onAcknowledge: (alertId: string) => void;
}

/** Alerts nobody has acknowledged yet, most recent first. */
export function AlertList({ alerts, busy, onAcknowledge }: AlertListProps) {
  return (
    <section aria-labelledby="alerts-title" className="panel">
      <div className="panel-heading">
        <h2 id="alerts-title">
          Alerts <span className="count">({alerts.length})</span>
        </h2>
      </div>
      {alerts.length === 0 ? (
        <p className="hint" data-testid="no-alerts">
          Nothing suspicious to review.
        </p>
      ) : (
        <ul className="cards" aria-label="Unacknowledged alerts">
          {alerts.map((alert) => {
            const title = TITLES[alert.type] ?? alert.type;
            const occurrences = (alert.details as { occurrences?: unknown } | null)?.occurrences;
            return (
              <li key={alert.id} className={`card alert severity-${alert.severity.toLowerCase()}`} data-testid="alert">
                <div className="card-title">
                  <h3>{title}</h3>
                  <span className={`badge severity-${alert.severity.toLowerCase()}`}>{SEVERITY[alert.severity] ?? alert.severity}</span>
                </div>
                <p>{alert.message}</p>
                <p className="meta">
                  <Timestamp iso={alert.createdAt} />
                  {typeof occurrences === 'number' && occurrences > 1 ? ` · ${occurrences} times` : ''}
                </p>
                <div className="actions">
                  <button
                    type="button"
                    onClick={() => onAcknowledge(alert.id)}
                    disabled={busy.has(alert.id)}
                    aria-label={`Acknowledge: ${title}`}
                  >
                    Acknowledge
                  </button>
                </div>
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
