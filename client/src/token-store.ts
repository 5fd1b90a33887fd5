/**
 * What survives an app restart: the refresh token and the session it belongs to. The access
 * token is deliberately not here; it lives in memory only and is minted again after a restart.
 */
export interface StoredSession {
  readonly refreshToken: string;
  readonly sessionId: string;
}

/**
 * The port where the refresh token lives. On a phone, back it with the Keychain (iOS) or the
 * Keystore (Android); see the README. Implementations must write atomically: after a crash the
 * store holds either the old session or the new one, never a mix.
 */
export interface TokenStore {
  read(): Promise<StoredSession | null>;
  write(session: StoredSession): Promise<void>;
  clear(): Promise<void>;
}

/** Keeps the session for the life of the process: tests, and browser tabs that must not persist it. */
export class MemoryTokenStore implements TokenStore {
  // An ES private field: console.log(store) and util.inspect do not show it.
  #session: StoredSession | null = null;

  async read(): Promise<StoredSession | null> {
    return this.#session;
  }

  async write(session: StoredSession): Promise<void> {
    this.#session = { refreshToken: session.refreshToken, sessionId: session.sessionId };
  }

  async clear(): Promise<void> {
    this.#session = null;
  }
}
