import { accessTokenLifetimeMs } from './access-token-lifetime.js';
import type { GraphQLTransport } from './graphql-transport.js';
import { TesseraRefreshDocument } from './generated/graphql.js';
import { Listeners } from './listeners.js';
import { backoffMs, delay, type RefreshRetryPolicy } from './refresh-backoff.js';
import { SIGN_OUT_CODES, TesseraError, TRANSIENT_CODES } from './tessera-error.js';
import type { TokenStore } from './token-store.js';
import type { SessionPayload } from './types.js';

export type { RefreshRetryPolicy } from './refresh-backoff.js';

export interface TokenRefresherOptions {
  readonly transport: GraphQLTransport;
  readonly store: TokenStore;
  /** The device's clock in milliseconds; tests inject one they can move. */
  readonly now?: () => number;
  /** Share of an access token's lifetime after which it is renewed: 0.8 renews a 15-minute token after 12 minutes. */
  readonly refreshMargin?: number;
  readonly retry?: Partial<RefreshRetryPolicy>;
  /** How often the refresher looks whether a proactive refresh is due; 0 turns the timer off. */
  readonly checkIntervalMs?: number;
}

/** Why the user is signed out: one of SIGN_OUT_CODES, LOGOUT, or a session-ending code the service sent. */
export type SignedOutReason = string;

export interface TokenRefreshedInfo {
  readonly sessionId: string;
  /** When the new access token expires, on the device's clock. */
  readonly accessTokenExpiresAt: Date;
}

interface AccessTokenState {
  readonly token: string;
  /** Issued for a session bound to the device key (`tokenType: DPoP`). */
  readonly bound: boolean;
  readonly receivedAt: number;
  readonly refreshAt: number;
  readonly expiresAt: number;
}

const DEFAULT_RETRY: RefreshRetryPolicy = { attempts: 5, baseDelayMs: 500, maxDelayMs: 8_000 };
const DEFAULT_CHECK_INTERVAL_MS = 15_000;
/** Counted as expired this long before `exp`, so that a token does not run out on its way to the service. */
const EXPIRY_SAFETY_MS = 10_000;

/**
 * Hands out valid access tokens and renews them, so that a user who logged in once stays signed
 * in while they use the app, and only then.
 *
 * - Renews when `refreshMargin` of a token's lifetime has passed: on demand in getAccessToken(),
 *   and from a timer when the app was in use during the token's life (noteActivity() or a
 *   request). An app nobody touches is not refreshed, so the service's idle timeout ends it.
 * - Single flight: however many callers need a new token at once, one refresh goes out.
 * - A network failure is retried with backoff and the same refresh token: the service answers a
 *   retried parent with the same successor (DESIGN.md decision 4), so nothing is lost.
 * - REFRESH_TOKEN_REUSED, INVALID_REFRESH_TOKEN, SESSION_REVOKED, SESSION_EXPIRED and
 *   ACCOUNT_DISABLED (SIGN_OUT_CODES) clear the store and emit onSignedOut once.
 * - With a device key (the transport's), every refresh carries a proof by it, which a bound
 *   session needs; the transport answers the service's nonce challenges on its own.
 * Tokens live in ES private fields, so logging this object shows none of them; the SDK itself logs nothing.
 */
export class TokenRefresher {
  #access: AccessTokenState | null = null;
  #sessionId: string | null = null;
  private currentDeviceId: string | null = null;
  private readonly transport: GraphQLTransport;
  private readonly store: TokenStore;
  private readonly now: () => number;
  private readonly margin: number;
  private readonly retry: RefreshRetryPolicy;
  private readonly checkIntervalMs: number;
  private readonly signedOut = new Listeners<[reason: SignedOutReason]>();
  private readonly refreshed = new Listeners<[info: TokenRefreshedInfo]>();
  private readonly activity = new Listeners<[]>();
  private lastActivityAt = Number.NEGATIVE_INFINITY;
  private inFlight: Promise<void> | undefined;
  /** Moves on every sign-in and sign-out, so that a refresh begun before cannot bring a session back. */
  private epoch = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private refreshCount = 0;

  constructor(options: TokenRefresherOptions) {
    this.transport = options.transport;
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.margin = options.refreshMargin ?? 0.8;
    if (!(this.margin > 0 && this.margin < 1)) throw new RangeError('refreshMargin must be between 0 and 1 (exclusive)');
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.checkIntervalMs = options.checkIntervalMs ?? DEFAULT_CHECK_INTERVAL_MS;
  }

  /** The session this client is signed in with, or null. */
  get sessionId(): string | null {
    return this.#sessionId;
  }

  /** The device of this client's session, once the service has named it (after login or the first refresh). */
  get deviceId(): string | null {
    return this.currentDeviceId;
  }

  get signedIn(): boolean {
    return this.#sessionId !== null;
  }

  /** Whether the access token in hand belongs to a session bound to the device key (false before the first one arrives). */
  get deviceBound(): boolean {
    return this.#access?.bound ?? false;
  }

  /** How many refreshes this refresher has sent that the service answered (for diagnostics and tests). */
  get refreshes(): number {
    return this.refreshCount;
  }

  /** When the current access token becomes due for renewal (device clock, ms), or null without one. */
  get refreshDueAt(): number | null {
    return this.#access?.refreshAt ?? null;
  }

  /**
   * Whether getAccessToken() would renew before answering: signed in, and no token in hand or its
   * margin has passed. For clients that keep a token of their own between requests (urql's authExchange).
   */
  get renewalDue(): boolean {
    const current = this.#access;
    return this.signedIn && (!current || this.now() >= current.refreshAt);
  }

  /**
   * A valid access token, renewed first when its margin has passed. A call is activity: the app
   * is in use. Pass `{ activity: false }` for background work (a socket reconnecting): it counts
   * as no activity and renews only a token that has run out (see backgroundUseAllowed).
   */
  async getAccessToken(options: { activity?: boolean } = {}): Promise<string> {
    const activity = options.activity ?? true;
    if (activity) this.markActivity();
    const current = this.#access;
    const now = this.now();
    if (current && now < (activity ? current.refreshAt : current.expiresAt - EXPIRY_SAFETY_MS)) return current.token;
    if (!this.signedIn) throw notSignedIn();
    try {
      await this.refresh();
    } catch (error) {
      // A flaky network need not fail a request while the token in hand still works.
      const stillValid = current && this.#access === current && this.now() < current.expiresAt - EXPIRY_SAFETY_MS;
      if (stillValid && error instanceof TesseraError && TRANSIENT_CODES.has(error.code)) return current.token;
      throw error;
    }
    if (!this.#access) throw notSignedIn();
    return this.#access.token;
  }

  /**
   * Tells the refresher that the user is using the app (a tap, the app coming to the
   * foreground). A token past its margin is then renewed in the background.
   */
  noteActivity(): void {
    this.markActivity();
    const current = this.#access;
    if (this.signedIn && (!current || this.now() >= current.refreshAt) && !this.inFlight) {
      this.refresh().catch(() => undefined); // failures sign out or are retried by the next caller
    }
  }

  /** Renews now. Callers that arrive while a refresh is under way share it. */
  refresh(): Promise<void> {
    this.inFlight ??= this.rotate().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  /**
   * What the timer runs: renews when the margin has passed and the app was used during the
   * current token's life. Resolves to whether it renewed.
   */
  async refreshIfDue(): Promise<boolean> {
    const current = this.#access;
    if (!this.signedIn || !current) return false;
    if (this.now() < current.refreshAt) return false;
    if (this.lastActivityAt <= current.receivedAt) return false; // idle: let the service's idle timeout decide
    try {
      await this.refresh();
      return true;
    } catch {
      return false;
    }
  }

  /**
   * Whether background work (a socket reconnecting) may use the session now without stretching
   * the idle timeout: the token in hand is still valid, or the app was used during its life, so
   * that renewing it is the user's doing.
   */
  get backgroundUseAllowed(): boolean {
    const current = this.#access;
    if (!this.signedIn) return false;
    if (!current) return true; // just restored: the app start was the activity
    return this.now() < current.expiresAt - EXPIRY_SAFETY_MS || this.lastActivityAt > current.receivedAt;
  }

  /** The service refused this token as expired (the device's clock may be behind): the next caller renews it. */
  invalidate(accessToken: string): void {
    const current = this.#access;
    if (current?.token === accessToken)
      this.#access = { ...current, refreshAt: Number.NEGATIVE_INFINITY, expiresAt: Number.NEGATIVE_INFINITY };
  }

  onSignedOut(listener: (reason: SignedOutReason) => void): () => void {
    return this.signedOut.add(listener);
  }

  /** Whenever the app shows it is in use (noteActivity, or a request). */
  onActivity(listener: () => void): () => void {
    return this.activity.add(listener);
  }

  /** After every renewal, a reauthentication's included (not after login); the info carries no token. */
  onRefreshed(listener: (info: TokenRefreshedInfo) => void): () => void {
    return this.refreshed.add(listener);
  }

  /** After a login: keeps the new tokens. */
  async begin(payload: SessionPayload): Promise<void> {
    this.epoch += 1;
    await this.store.write({ refreshToken: payload.tokens.refreshToken, sessionId: payload.session.id });
    this.#sessionId = payload.session.id;
    this.keep(payload);
    this.startTimer();
  }

  /** After an app start: takes the stored session, if any, without asking the service yet. */
  async resume(): Promise<boolean> {
    const stored = await this.store.read();
    if (!stored) return false;
    this.epoch += 1;
    this.#sessionId = stored.sessionId;
    this.#access = null;
    this.startTimer();
    return true;
  }

  /** Forgets the session: clears the store and, if the user was signed in, tells the listeners once. */
  async signOut(reason: SignedOutReason): Promise<void> {
    const wasSignedIn = this.signedIn;
    this.epoch += 1;
    this.#sessionId = null;
    this.#access = null;
    this.currentDeviceId = null;
    this.stopTimer();
    try {
      await this.store.clear();
    } finally {
      if (wasSignedIn) this.signedOut.emit(reason);
    }
  }

  /** Stops the timer; the stored session stays for the next start. */
  dispose(): void {
    this.stopTimer();
  }

  private async rotate(): Promise<void> {
    const epoch = this.epoch;
    const stored = await this.store.read();
    if (!stored || !this.signedIn) throw notSignedIn();
    for (let attempt = 1; ; attempt++) {
      try {
        // With a device key, a proof goes with every refresh: a bound session's refresh token is worthless without one.
        const data = await this.transport.execute(TesseraRefreshDocument, { input: { refreshToken: stored.refreshToken } }, undefined, {
          deviceProof: true,
        });
        if (epoch !== this.epoch) throw notSignedIn(); // signed out meanwhile: the answer must not revive the session
        const payload = data.refreshSession;
        // Should this write fail, the store keeps the parent, and the next refresh sends it: the
        // service answers with this same successor, which nobody has used yet.
        await this.store.write({ refreshToken: payload.tokens.refreshToken, sessionId: payload.session.id });
        this.refreshCount += 1;
        this.adopt(payload);
        return;
      } catch (error) {
        if (!(error instanceof TesseraError)) throw error;
        if (SIGN_OUT_CODES.has(error.code)) {
          if (epoch === this.epoch) await this.signOut(error.code);
          throw error;
        }
        if (!TRANSIENT_CODES.has(error.code) || attempt >= this.retry.attempts || epoch !== this.epoch) throw error;
        await delay(backoffMs(this.retry, attempt, error.retryAfterSeconds));
        if (epoch !== this.epoch) throw notSignedIn();
      }
    }
  }

  /**
   * Sends an operation that answers with new tokens for this session (reauthenticate) and keeps
   * them exactly as a refresh's. It takes the refresh's single-flight place: no refresh goes out
   * beside it with the refresh token it replaces, and callers that need a token meanwhile wait
   * for its answer (its failure is its caller's alone). `exchange` gets a valid access token to
   * send the operation with.
   */
  async reissue(exchange: (accessToken: string) => Promise<SessionPayload>): Promise<SessionPayload> {
    for (;;) {
      const accessToken = await this.getAccessToken();
      // A refresh that began while the token was handed out would race this one: let it finish first.
      if (this.inFlight) {
        await this.inFlight.catch(() => undefined);
        continue;
      }
      const epoch = this.epoch;
      const settled: { outcome?: { readonly payload: SessionPayload } | { readonly error: unknown } } = {};
      const slot = (async () => {
        try {
          const answer = await exchange(accessToken);
          if (epoch !== this.epoch) throw notSignedIn(); // signed out meanwhile: the answer must not revive the session
          await this.store.write({ refreshToken: answer.tokens.refreshToken, sessionId: answer.session.id });
          this.adopt(answer);
          settled.outcome = { payload: answer };
        } catch (error) {
          // Kept for the caller alone: those who waited for a token meanwhile keep the one in
          // hand rather than fail with a password they never typed.
          settled.outcome = { error };
        }
      })().finally(() => (this.inFlight = undefined));
      this.inFlight = slot;
      await slot;
      const outcome = settled.outcome ?? { error: notSignedIn() };
      if ('error' in outcome) throw outcome.error;
      return outcome.payload;
    }
  }

  /** Renewed tokens, once stored (a refresh's or a reauthentication's): in use from now on, and announced. */
  private adopt(payload: SessionPayload): void {
    this.keep(payload);
    this.refreshed.emit({ sessionId: payload.session.id, accessTokenExpiresAt: new Date(this.#access!.expiresAt) });
  }

  private markActivity(): void {
    this.lastActivityAt = this.now();
    this.activity.emit();
  }

  private keep(payload: SessionPayload): void {
    const receivedAt = this.now();
    const token = payload.tokens.accessToken;
    this.currentDeviceId = payload.session.device.id;
    const lifetime = accessTokenLifetimeMs(token) ?? Math.max(0, Date.parse(payload.tokens.accessTokenExpiresAt) - receivedAt);
    this.#access = {
      token,
      bound: payload.tokens.tokenType === 'DPoP',
      receivedAt,
      refreshAt: receivedAt + lifetime * this.margin,
      expiresAt: receivedAt + lifetime,
    };
  }

  private startTimer(): void {
    this.stopTimer();
    if (this.checkIntervalMs <= 0) return;
    this.timer = setInterval(() => void this.refreshIfDue(), this.checkIntervalMs);
    // In Node, the timer alone must not keep a process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  private stopTimer(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}

function notSignedIn(): TesseraError {
  return new TesseraError('UNAUTHENTICATED', 'Not signed in: log in first.');
}
