import { useEffect, useRef, useState, type FormEvent, type ReactNode } from 'react';
import type { Device } from '../sdk.js';
import { DEVICE_NAME_MAX_LENGTH, deviceNameProblem } from '../account.js';
import { deviceName, deviceTypeLabel } from '../format.js';
import { Fact, TimeFact } from './fact.js';

export interface DeviceTrustManagerProps {
  readonly devices: readonly Device[];
  /** The device this page runs on, to say so in the list and in the warnings. */
  readonly currentDeviceId: string | null;
  readonly busy: ReadonlySet<string>;
  readonly onTrust: (deviceId: string) => void;
  readonly onUntrust: (deviceId: string) => void;
  readonly onRename: (deviceId: string, name: string) => void;
  readonly onRemove: (deviceId: string) => void;
}

/** What a card shows below its facts: its buttons, or one of the steps a button opens. */
type Step = { readonly deviceId: string; readonly kind: 'untrust' | 'remove' | 'rename' };

/**
 * Every device of the account with its trust state, its name (which the person can change) and
 * a way to forget it. Untrusting and removing ask first, since both sign the device out.
 */
export function DeviceTrustManager({ devices, currentDeviceId, busy, onTrust, onUntrust, onRename, onRemove }: DeviceTrustManagerProps) {
  const [step, setStep] = useState<Step | null>(null);
  const sorted = [...devices].sort((a, b) => b.lastSeenAt.localeCompare(a.lastSeenAt));
  const close = () => setStep(null);
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
          const isBusy = busy.has(device.id);
          const open = step?.deviceId === device.id ? step.kind : null;
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
              {open === 'untrust' && (
                <Confirmation
                  id={`untrust-warning-${device.id}`}
                  confirmLabel="Untrust and sign out"
                  busy={isBusy}
                  onConfirm={() => {
                    close();
                    onUntrust(device.id);
                  }}
                  onCancel={close}
                >
                  Untrusting {name} signs it out of every session on it now{here ? ', including this page' : ''}. It will need the password
                  to sign in again.
                </Confirmation>
              )}
              {open === 'remove' && (
                <Confirmation
                  id={`remove-warning-${device.id}`}
                  confirmLabel="Remove and sign out"
                  busy={isBusy}
                  onConfirm={() => {
                    close();
                    onRemove(device.id);
                  }}
                  onCancel={close}
                >
                  Removing {name} signs it out of every session on it now{here ? ', including this page' : ''}, and forgets it: should it
                  sign in again, it shows up as a new device.
                </Confirmation>
              )}
              {open === 'rename' && (
                <RenameForm
                  deviceId={device.id}
                  currentName={device.name ?? ''}
                  onSave={(newName) => {
                    close();
                    onRename(device.id, newName);
                  }}
                  onCancel={close}
                />
              )}
              {open === null && (
                <div className="actions">
                  {device.trusted ? (
                    <button
                      type="button"
                      onClick={() => setStep({ deviceId: device.id, kind: 'untrust' })}
                      disabled={isBusy}
                      aria-label={`Untrust ${name}`}
                    >
                      Untrust
                    </button>
                  ) : (
                    <button
                      type="button"
                      className="primary"
                      onClick={() => onTrust(device.id)}
                      disabled={isBusy}
                      aria-label={`Trust ${name}`}
                    >
                      {isBusy ? 'Trusting…' : 'Trust'}
                    </button>
                  )}
                  <button
                    type="button"
                    onClick={() => setStep({ deviceId: device.id, kind: 'rename' })}
                    disabled={isBusy}
                    aria-label={`Rename ${name}`}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="danger-outline"
                    onClick={() => setStep({ deviceId: device.id, kind: 'remove' })}
                    disabled={isBusy}
                    aria-label={`Remove ${name}`}
                  >
                    Remove
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}

/** A warning with a way on and a way back; focus lands on the way back, and Escape takes it. */
function Confirmation(props: {
  id: string;
  confirmLabel: string;
  busy: boolean;
  onConfirm: () => void;
  onCancel: () => void;
  children: ReactNode;
}) {
  const cancel = useRef<HTMLButtonElement>(null);
  useEffect(() => cancel.current?.focus(), []);
  return (
    <div
      className="confirm"
      role="group"
      aria-labelledby={props.id}
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onCancel();
      }}
    >
      <p id={props.id} className="warning-text">
        {props.children}
      </p>
      <div className="actions">
        <button type="button" className="danger" onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
        <button type="button" ref={cancel} onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}

/** The person's own name for a device: 1 to 64 characters, checked here before the service checks it again. */
function RenameForm(props: { deviceId: string; currentName: string; onSave: (name: string) => void; onCancel: () => void }) {
  const [name, setName] = useState(props.currentName);
  const [problem, setProblem] = useState<string | undefined>();
  const field = useRef<HTMLInputElement>(null);
  useEffect(() => field.current?.select(), []);
  const fieldId = `device-name-${props.deviceId}`;
  const problemId = `${fieldId}-problem`;

  function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const refused = deviceNameProblem(name);
    setProblem(refused);
    if (!refused) props.onSave(name.trim());
  }

  return (
    <form
      className="rename"
      onSubmit={submit}
      noValidate
      onKeyDown={(event) => {
        if (event.key === 'Escape') props.onCancel();
      }}
    >
      <label htmlFor={fieldId}>Device name</label>
      <input
        ref={field}
        id={fieldId}
        name="device-name"
        type="text"
        autoComplete="off"
        maxLength={DEVICE_NAME_MAX_LENGTH}
        value={name}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? problemId : undefined}
        onChange={(event) => setName(event.target.value)}
      />
      {problem && (
        <p id={problemId} className="field-problem" role="alert">
          {problem}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary">
          Save name
        </button>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
