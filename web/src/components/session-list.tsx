import type { Session } from '../sdk.js';
import { isCurrent } from '../account.js';
import { deviceName, deviceTypeLabel } from '../format.js';
import { Fact, TimeFact } from './fact.js';

export interface SessionListProps {
  readonly sessions: readonly Session[];
  readonly currentSessionId: string | null;
  readonly busy: ReadonlySet<string>;
  readonly onRevoke: (sessionId: string) => void;
  readonly onSignOutEverywhereElse: () => void;
  /** Every session, this page's included: for when the person fears someone else is signed in. */
  readonly onSignOutEverywhere: () => void;
  readonly onSignOut: () => void;
}

/** Every active session of the account, this one first and marked, each with a way to end it. */
export function SessionList({
  sessions,
  currentSessionId,
  busy,
  onRevoke,
  onSignOutEverywhereElse,
  onSignOutEverywhere,
  onSignOut,
}: SessionListProps) {
  const others = sessions.filter((session) => !isCurrent(session, currentSessionId)).length;
  return (
    <section aria-labelledby="sessions-title" className="panel">
      <div className="panel-heading">
        <h2 id="sessions-title">
          Where you’re signed in <span className="count">({sessions.length})</span>
        </h2>
        <div className="actions">
          <button
            type="button"
            className="danger-outline"
            onClick={onSignOutEverywhereElse}
            disabled={others === 0 || busy.has('all-others')}
          >
            Sign out everywhere else
          </button>
          <button type="button" className="danger" onClick={onSignOutEverywhere} disabled={busy.has('everywhere')}>
            Sign out everywhere
          </button>
        </div>
      </div>
      <ul className="cards" aria-label="Active sessions">
        {sessions.map((session) => {
          const current = isCurrent(session, currentSessionId);
          const name = deviceName(session.device);
          return (
            <li key={session.id} className={current ? 'card current' : 'card'} data-session-id={session.id} data-testid="session">
              <div className="card-title">
                <h3>{name}</h3>
                <span className="badge neutral">{deviceTypeLabel(session.device.type)}</span>
                {current && <span className="badge current">This device</span>}
                {session.deviceBound && (
                  <span className="badge neutral" title="Its tokens work only with this device's own key (DPoP)">
                    Device-bound
                  </span>
                )}
              </div>
              <dl className="facts">
                <Fact label="IP address">{session.ipAddress ?? 'unknown'}</Fact>
                <TimeFact label="Signed in" iso={session.createdAt} />
                <TimeFact label="Last active" iso={session.lastActivityAt} />
                <Fact label="Browser or app" wide>
                  <span className="user-agent">{session.userAgent ?? 'unknown'}</span>
                </Fact>
              </dl>
              <div className="actions">
                {current ? (
                  <button type="button" onClick={onSignOut} aria-label="Sign out of this device">
                    Sign out
                  </button>
                ) : (
                  <button
                    type="button"
                    className="danger"
                    onClick={() => onRevoke(session.id)}
                    disabled={busy.has(session.id)}
                    aria-label={`Revoke the session on ${name}`}
                  >
                    {busy.has(session.id) ? 'Revoking…' : 'Revoke'}
                  </button>
                )}
              </div>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
