import { useEffect, useRef, useState } from 'react';
import type { Device } from '../sdk.js';
import { deviceName, deviceTypeLabel } from '../format.js';
import { Fact, TimeFact } from './fact.js';

export interface DeviceTrustManagerProps {
  readonly devices: readonly Device[];
  /** The device this page runs on, to say so in the list and in the untrust warning. */
  readonly currentDeviceId: string | null;
  readonly busy: ReadonlySet<string>;
  readonly onTrust: (deviceId: string) => void;
  readonly onUntrust: (deviceId: string) => void;
}

/** Every device of the account with its trust state; untrusting asks first, since it signs the device out. */
export function DeviceTrustManager({ devices, currentDeviceId, busy, onTrust, onUntrust }: DeviceTrustManagerProps) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const sorted = [...devices].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  return (
    <section aria-labelledby="devices-title" className="panel">
      <div className="panel-heading">
        <h2 id="devices-title">
          Your devices <span className="count">({devices.length})</span>
        </h2>
      </div>
      <p className="hint">A trusted device stays signed in for up to 30 days after each sign-in; others for 7.</p>
      <ul className="cards" aria-label="Devices">
        {sorted.map((device) => {
          const name = deviceName(device);
          const here = device.id === currentDeviceId;
          return (
            <li key={device.id} className="card" data-device-id={device.id} data-testid="device">
              <div className="card-title">
                <h3>{name}</h3>
                <span className="badge neutral">{deviceTypeLabel(device.type)}</span>
                {here && <span className="badge current">This device</span>}
                <span className={device.trusted ? 'badge trusted' : 'badge untrusted'} data-testid="trust-badge">
                  {device.trusted ? 'Trusted' : 'Not trusted'}
                </span>
              </div>
              <dl className="facts">
                <TimeFact label="First seen" iso={device.firstSeenAt} />
                <TimeFact label="Last seen" iso={device.lastSeenAt} />
                {device.trusted && device.trustedAt && <TimeFact label="Trusted since" iso={device.trustedAt} />}
                {(device.model || device.osVersion) && (
                  <Fact label="Model">{[device.model, device.osVersion].filter(Boolean).join(', ')}</Fact>
                )}
              </dl>
              {confirming === device.id ? (
                <UntrustConfirmation
                  name={name}
                  here={here}
                  busy={busy.has(device.id)}
                  onConfirm={() => {
                    setConfirming(null);
                    onUntrust(device.id);
                  }}
                  onCancel={() => setConfirming(null)}
                />
              ) : (
                <div className="actions">
                  {device.trusted ? (
                    <button
                      type="button"
                      onClick={() => setConfirming(device.id)}
                      disabled={busy.has(device.id)}
                      aria-label={`Untrust ${name}`}
                    >
                      Untrust
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="primary"
                      onClick={() => onTrust(device.id)}
                      disabled={busy.has(device.id)}
                      aria-label={`Trust ${name}`}
                    >
                      {busy.has(device.id) ? 'Trusting…' : 'Trust'}
                    </button>
                  )}
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function UntrustConfirmation(props: { name: string; here: boolean; busy: boolean; onConfirm: () => void; onCancel: () => void }) {
  const cancel = useRef<HTMLButtonElement>(null);
  // Focus lands on the safe choice; Escape backs out.
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="confirm"
      role="group"
      aria-labelledby="untrust-warning"
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onCancel();
      }}
    >
      <p id="untrust-warning" className="warning-text">
        Untrusting {props.name} signs it out of every session on it now
        {props.here ? ', including this page' : ''}. It will need the password to sign in again.
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={props.onConfirm} disabled={props.busy}>
          Untrust and sign out
        </button>
        <button type="button" ref={cancel} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
