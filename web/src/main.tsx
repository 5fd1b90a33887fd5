import { Component, StrictMode, type ReactNode } from 'react';
import { createRoot } from 'react-dom/client';
import { AccountController } from './account.js';
import { App } from './app.js';
import { BrowserTokenStore, storageOrNull, webDevice } from './browser-storage.js';
import { MemoryTokenStore } from './sdk.js';
import './styles.css';

/** A bug in the page shows a sentence and a way out, never a blank page. */
class ErrorBoundary extends Component<{ children: ReactNode }, { failed: boolean }> {
  override state = { failed: false };

  static getDerivedStateFromError(): { failed: boolean } {
    return { failed: true };
  }

  override render() {
    if (!this.state.failed) return this.props.children;
    return (
      <main className="sign-in">
        <h1>Account security</h1>
        <div className="notice notice-error" role="alert">
          <p>Something went wrong while showing this page. Reload it to try again.</p>
        </div>
        <button type="button" className="primary" onClick={() => window.location.reload()}>
          Reload
        </button>
      </main>
    );
  }
}

const tabStorage = storageOrNull('sessionStorage');
const account = new AccountController({
  serviceUrl: window.location.origin,
  // Without storage (some private modes) the session lives in memory: a reload asks for the password again.
  store: tabStorage ? new BrowserTokenStore(tabStorage) : new MemoryTokenStore(),
  device: () => webDevice(),
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ErrorBoundary>
      <App account={account} />
    </ErrorBoundary>
  </StrictMode>,
);

void account.start();
