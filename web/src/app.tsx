import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { AccountController, SignedInState } from './account.js';
import { AlertList } from './components/alert-list.js';
import { DeviceTrustManager } from './components/device-trust-manager.js';
import { NoticeBanner } from './components/notice-banner.js';
import { PasswordChangeForm } from './components/password-change-form.js';
import { SessionList } from './components/session-list.js';
import { SignInForm } from './components/sign-in-form.js';
import { StepUpPrompt } from './components/step-up-prompt.js';

export function App({ account }: { account: AccountController }) {
  const state = useSyncExternalStore(account.subscribe, account.getSnapshot);

  switch (state.phase) {
    case 'starting':
      return (
        <main className="starting" aria-busy="true">
          <p role="status">Loading your account…</p>
        </main>
      );
    case 'unavailable':
      return (
        <main className="sign-in" aria-labelledby="unavailable-title">
          <h1 id="unavailable-title">Account security</h1>
          <NoticeBanner notice={state.notice} />
          <button type="button" className="primary" onClick={() => void account.start()}>
            Try again
          </button>
        </main>
      );
    case 'signed-out':
      return <SignInForm notice={state.notice} onSignIn={(email, password) => account.signIn(email, password)} />;
    case 'signed-in':
      return <AccountPage account={account} state={state} />;
  }
}

function AccountPage({ account, state }: { account: AccountController; state: SignedInState }) {
  const heading = useRef<HTMLHeadingElement>(null);
  // After signing in, keyboard and screen-reader users start at the top of the account page.
  useEffect(() => heading.current?.focus(), []);
  // "5 minutes ago" moves on while the page is open.
  const [, setMinute] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setMinute((minute) => minute + 1), 30_000);
    return () => clearInterval(timer);
  }, []);
  // Using the page is activity: it lets the SDK renew the access token while someone is here.
  useEffect(() => {
    const note = () => account.noteActivity();
    window.addEventListener('pointerdown', note, { passive: true });
    window.addEventListener('keydown', note, { passive: true });
    return () => {
      window.removeEventListener('pointerdown', note);
      window.removeEventListener('keydown', note);
    };
  }, [account]);

  return (
    <>
      <header className="top">
        <div>
          <h1 ref={heading} tabIndex={-1}>
            Account security
          </h1>
          <p className="signed-in-as">
            Signed in as <strong data-testid="user-email">{state.user.email}</strong>
          </p>
        </div>
        <button type="button" onClick={() => void account.signOut()}>
          Sign out
        </button>
      </header>
      <main className="account">
        <div className="live-region">
          {!state.live && (
            <NoticeBanner
              notice={{
                tone: 'warning',
                text: 'Live updates are paused: the Tessera service cannot be reached. The page reconnects by itself; changes made elsewhere show once it does.',
              }}
            />
          )}
          <NoticeBanner notice={state.notice} onDismiss={() => account.dismissNotice()} />
        </div>
        <AlertList
          alerts={state.alerts}
          history={state.alertHistory}
          currentSessionId={state.currentSessionId}
          busy={state.busy}
          onAcknowledge={(id) => void account.acknowledgeAlert(id)}
          onReport={(id) => void account.reportAlert(id)}
          onShowHistory={(show) => void account.showAlertHistory(show)}
        />
        <SessionList
          sessions={state.sessions}
          currentSessionId={state.currentSessionId}
          busy={state.busy}
          onRevoke={(id) => void account.revokeSession(id)}
          onSignOutEverywhereElse={() => void account.signOutEverywhereElse()}
          onSignOutEverywhere={() => void account.signOutEverywhere()}
          onSignOut={() => void account.signOut()}
        />
        <DeviceTrustManager
          devices={state.devices}
          currentDeviceId={account.currentDeviceId}
          busy={state.busy}
          onTrust={(id) => void account.trustDevice(id)}
          onUntrust={(id) => void account.untrustDevice(id)}
          onRename={(id, name) => void account.renameDevice(id, name)}
          onRemove={(id) => void account.removeDevice(id)}
        />
        <PasswordChangeForm
          email={state.user.email}
          busy={state.busy.has('password')}
          onChange={(currentPassword, newPassword) => account.changePassword(currentPassword, newPassword)}
        />
      </main>
      {state.stepUp && (
        <StepUpPrompt
          stepUp={state.stepUp}
          onConfirm={(password) => account.confirmIdentity(password)}
          onCancel={() => account.cancelStepUp()}
        />
      )}
    </>
  );
}
