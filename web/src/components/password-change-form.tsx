import { useState, type FormEvent } from 'react';
import type { Notice } from '../messages.js';
import { NoticeBanner } from './notice-banner.js';

export interface PasswordChangeFormProps {
  /** The account's email, for password managers to file the new password under. */
  readonly email: string;
  readonly busy: boolean;
  /** Resolves to a notice to show on the form when the change was refused; undefined when it went through. */
  readonly onChange: (currentPassword: string, newPassword: string) => Promise<Notice | undefined>;
}

/** Current and new password; a change signs out every other session, which the hint says beforehand. */
export function PasswordChangeForm({ email, busy, onChange }: PasswordChangeFormProps) {
  const [currentPassword, setCurrentPassword] = useState('');
  const [newPassword, setNewPassword] = useState('');
  const [problem, setProblem] = useState<Notice | undefined>();

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (busy) return;
    setProblem(undefined);
    const refused = await onChange(currentPassword, newPassword);
    setProblem(refused);
    // Passwords do not stay on screen longer than needed: gone after a change, and the current
    // one after a refusal (the new one stays, to be corrected).
    setCurrentPassword('');
    if (!refused) setNewPassword('');
  }

  return (
    <section aria-labelledby="password-title" className="panel">
      <div className="panel-heading">
        <h2 id="password-title">Password</h2>
      </div>
      <p className="hint">
        Changing your password signs you out everywhere else: every other device will need the new password. This page stays signed in.
      </p>
      <NoticeBanner notice={problem} />
      <form className="password-form" onSubmit={(event) => void submit(event)} noValidate>
        {/* For password managers: whose password this is. */}
        <input type="text" name="username" autoComplete="username" hidden readOnly value={email} />
        <label htmlFor="current-password">Current password</label>
        <input
          id="current-password"
          name="current-password"
          type="password"
          autoComplete="current-password"
          required
          value={currentPassword}
          onChange={(event) => setCurrentPassword(event.target.value)}
        />
        <label htmlFor="new-password">New password</label>
        <input
          id="new-password"
          name="new-password"
          type="password"
          autoComplete="new-password"
          required
          minLength={12}
          maxLength={128}
          aria-describedby="new-password-rule"
          value={newPassword}
          onChange={(event) => setNewPassword(event.target.value)}
        />
        <p id="new-password-rule" className="hint">
          At least 12 characters, not your email address.
        </p>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Changing…' : 'Change password'}
        </button>
      </form>
    </section>
  );
}
