/**
 * One tab per stored session. Duplicating a tab copies its sessionStorage, so two tabs would
 * rotate one refresh-token chain; once their rotations drift more than the service's grace window
 * apart, the second one is refresh-token reuse and the service ends the session for both. With
 * the Web Locks API the first tab holds its session; a copy that finds it held drops its copy of
 * the token and asks for a sign-in of its own (a separate session on the same device).
 * Browsers without Web Locks (or pages outside a secure context) get no such guard.
 */
export class SessionTabLock {
  #sessionId: string | undefined;
  #release: (() => void) | undefined;

  /** True when this tab now holds the session (or cannot tell); false when another tab holds it. */
  claim(sessionId: string): Promise<boolean> {
    if (this.#sessionId === sessionId) return Promise.resolve(true);
    this.release();
    const locks = (navigator as Navigator & { locks?: LockManager }).locks;
    if (!locks) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      locks
        .request(`tessera.account.session.${sessionId}`, { ifAvailable: true }, (lock) => {
          if (!lock) {
            resolve(false);
            return undefined;
          }
          this.#sessionId = sessionId;
          // Held until release() or until the page goes away, which frees it for a reload.
          return new Promise<void>((release) => {
            this.#release = release;
            resolve(true);
          });
        })
        .catch(() => resolve(true));
    });
  }

  release(): void {
    this.#release?.();
    this.#release = undefined;
    this.#sessionId = undefined;
  }
}
