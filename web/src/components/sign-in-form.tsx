import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { Notice } from '../messages.js';
import { NoticeBanner } from './notice-banner.js';

export interface SignInFormProps {
  /** Why the user is here: signed out elsewhere, session expired, the service unreachable. */
  readonly notice?: Notice;
  readonly onSignIn: (email: string, password: string) => Promise<Notice | undefined>;
}

export function SignInForm({ notice, onSignIn }: SignInFormProps) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<Notice | undefined>();
  const emailField = useRef<HTMLInputElement>(null);

  useEffect(() => emailField.current?.focus(), []);

  async function submit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (pending) return;
    setPending(true);
    setError(undefined);
    const failure = await onSignIn(email, password);
    // On success this form is gone; on failure it stays, with the message and the email kept.
    if (failure) {
      setError(failure);
      setPassword('');
      setPending(false);
    }
  }

  return (
    <main className="sign-in" aria-labelledby="sign-in-title">
      <h1 id="sign-in-title">Account security</h1>
      <p className="lead">Sign in to see where you are signed in, which devices you trust, and what looked suspicious.</p>
      <NoticeBanner notice={error ?? notice} />
      <form onSubmit={(event) => void submit(event)}>
        <label htmlFor="email">Email address</label>
        <input
          ref={emailField}
          id="email"
          name="email"
          type="email"
          autoComplete="username"
          inputMode="email"
          required
          value={email}
          onChange={(event) => setEmail(event.target.value)}
        />
        <label htmlFor="password">Password</label>
        <input
          id="password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(event) => setPassword(event.target.value)}
        />
        <button type="submit" className="primary" disabled={pending}>
          {pending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
