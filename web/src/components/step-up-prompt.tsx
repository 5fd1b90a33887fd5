import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { StepUp } from '../account.js';
import { describeWait, type Notice } from '../messages.js';
import { NoticeBanner } from './notice-banner.js';

export interface StepUpPromptProps {
  readonly stepUp: StepUp;
  /** Resolves to a notice to show in the prompt when the password was not accepted. */
  readonly onConfirm: (password: string) => Promise<Notice | undefined>;
  readonly onCancel: () => void;
}

/**
 * "Confirm it's you": a sensitive action waits for the password, entered again. A modal dialog,
 * so the rest of the page is out of reach (and out of the screen reader's way) until it is
 * answered; Escape or Cancel drops the action.
 */
export function StepUpPrompt({ stepUp, onConfirm, onCancel }: StepUpPromptProps) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<Notice | undefined>();

  useEffect(() => {
    const element = dialog.current;
    if (element && !element.open) element.showModal();
    return () => element?.close();
  }, []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setProblem(undefined);
    const refused = await onConfirm(password);
    // On success the prompt is gone; on a refusal it stays for another try.
    if (refused) {
      setProblem(refused);
      setPassword('');
      setPending(false);
    }
  }

  const age = stepUp.maxAgeSeconds ? ` You last entered it more than ${describeWait(stepUp.maxAgeSeconds)} ago.` : '';
  return (
    <dialog
      ref={dialog}
      className="step-up"
      aria-labelledby="step-up-title"
      aria-describedby="step-up-reason"
      onCancel={(event) => {
        // Escape: the dialog closes through React, so that the page's state says it is gone.
        event.preventDefault();
        onCancel();
      }}
    >
      <h2 id="step-up-title">Confirm it’s you</h2>
      <p id="step-up-reason">
        {stepUp.action} is a sensitive change: enter your password to continue.{age}
      </p>
      <NoticeBanner notice={problem} />
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="step-up-password">Your password</label>
        <input
          id="step-up-password"
          name="password"
          type="password"
          autoComplete="current-password"
          autoFocus
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <div className="actions">
          <button type="submit" className="primary" disabled={pending}>
            {pending ? 'Confirming…' : 'Confirm and continue'}
          </button>
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </dialog>
  );
}
