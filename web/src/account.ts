import { SessionClient, SessionSync, sortSessions } from './sdk.js';
import type { Device, DeviceInput, Session, SessionAlert, SessionEvent, TokenStore, User } from './sdk.js';
import { describeError, isCode, signedOutNotice, type Notice } from './messages.js';
import { SessionTabLock } from './tab-lock.js';

/** What the page shows; React renders it, the controller below is the only one that changes it. */
export type AccountState =
  | { readonly phase: 'starting' }
  | { readonly phase: 'signed-out'; readonly notice?: Notice }
  /** A stored session that could not be resumed because the service did not answer: kept, to try again. */
  | { readonly phase: 'unavailable'; readonly notice: Notice }
  | SignedInState;

export interface SignedInState {
  readonly phase: 'signed-in';
  readonly user: User;
  readonly currentSessionId: string | null;
  readonly sessions: readonly Session[];
  readonly devices: readonly Device[];
  readonly alerts: readonly SessionAlert[];
  /** Result or failure of the last action, or news from another device. */
  readonly notice?: Notice;
  /** Ids of sessions, devices and alerts with an action under way, and 'all-others'. */
  readonly busy: ReadonlySet<string>;
  /** Whether the live feed is connected; while it is not, changes elsewhere do not show. */
  readonly live: boolean;
}

export interface AccountOptions {
  /** The service's origin; the SDK adds /graphql. */
  readonly serviceUrl: string;
  readonly store: TokenStore;
  readonly device: () => DeviceInput;
}

const ALREADY_OPEN: Notice = {
  tone: 'info',
  text: 'Your account page is already open in another tab of this browser. Use that tab, or sign in here to open a separate session.',
};

const LIVE_CHECK_MS = 1_000;
/** How long the page waits for the live feed before it shows the lists without it. */
const LIVE_START_TIMEOUT_MS = 5_000;

const NEWEST_FIRST = <T extends { createdAt: string }>(a: T, b: T) => b.createdAt.localeCompare(a.createdAt);

/** Whether the session is this page's own: the service marks it, or the SDK knows its id. */
export function isCurrent(session: Session, currentSessionId: string | null): boolean {
  return session.current || session.id === currentSessionId;
}

/** This device first, then the SDK's order (most recently active first). */
function thisDeviceFirst(sessions: readonly Session[], currentSessionId: string | null): Session[] {
  return sortSessions(sessions).sort((a, b) => Number(isCurrent(b, currentSessionId)) - Number(isCurrent(a, currentSessionId)));
}

function upsert<T extends { id: string }>(items: readonly T[], item: T): T[] {
  const index = items.findIndex((existing) => existing.id === item.id);
  if (index < 0) return [...items, item];
  const copy = [...items];
  copy[index] = { ...copy[index], ...item };
  return copy;
}

/**
 * The account page's state machine over the SDK: sign in, restore after a reload, the live
 * session list from SessionSync, devices and alerts patched from the same events, and every
 * action. Framework-free, so that React only renders.
 */
export class AccountController {
  readonly #client: SessionClient;
  #sync: SessionSync | undefined;
  #state: AccountState = { phase: 'starting' };
  readonly #listeners = new Set<() => void>();
  #syncSubscriptions: (() => void)[] = [];
  #liveTimer: ReturnType<typeof setInterval> | undefined;
  /** The last event version seen, to notice a gap and refetch devices and alerts. */
  #lastVersion: number | undefined;
  /** Moves at every sign-in and sign-out, so that a late answer cannot revive an old session. */
  #epoch = 0;
  /** What to say when the sign-out that follows is one this page asked for. */
  #expectedSignOut: Notice | undefined;
  readonly #tabLock = new SessionTabLock();

  constructor(private readonly options: AccountOptions) {
    this.#client = new SessionClient({
      url: options.serviceUrl,
      store: options.store,
      // A person is waiting: give up on an unreachable service within about a second and say so,
      // rather than after the SDK's default five tries over some eight seconds (the refresh token
      // stays valid for the next try).
      refreshRetry: { attempts: 3, baseDelayMs: 300, maxDelayMs: 1_000 },
    });
    this.#client.onSignedOut((reason) => this.#signedOut(this.#expectedSignOut ?? signedOutNotice(reason)));
  }

  get state(): AccountState {
    return this.#state;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  getSnapshot = (): AccountState => this.#state;

  /** After a page load: resumes the tab's stored session, or shows the sign-in form. */
  async start(): Promise<void> {
    try {
      const stored = await this.options.store.read();
      if (stored && !(await this.#tabLock.claim(stored.sessionId))) {
        // This tab is a copy of one that is still open: leave that tab's session alone.
        await this.options.store.clear();
        this.#set({ phase: 'signed-out', notice: ALREADY_OPEN });
        return;
      }
      if (await this.#client.restore()) {
        await this.#enter(this.#epoch);
        return;
      }
      // A refused stored session has signed out through onSignedOut already, with the reason to show.
      if (this.#state.phase !== 'signed-out') this.#set({ phase: 'signed-out' });
    } catch (error) {
      if (this.#state.phase === 'signed-out') return; // the SDK refused the stored session: onSignedOut said why
      if (isCode(error, 'NETWORK_ERROR', 'SERVICE_UNAVAILABLE', 'RATE_LIMITED')) {
        this.#set({ phase: 'unavailable', notice: describeError(error, 'Resuming your session') });
        return;
      }
      this.#set({ phase: 'signed-out', notice: describeError(error, 'Resuming your session') });
    }
  }

  /** Resolves to a notice to show on the form when signing in failed. */
  async signIn(email: string, password: string): Promise<Notice | undefined> {
    try {
      const { session } = await this.#client.login({ email: email.trim(), password, device: this.options.device() });
      await this.#tabLock.claim(session.id); // a new session: nobody else holds it
    } catch (error) {
      if (isCode(error, 'BAD_USER_INPUT')) {
        return { tone: 'error', text: 'Enter a valid email address and your password.' };
      }
      return describeError(error, 'Signing in');
    }
    try {
      await this.#enter(this.#epoch);
      return undefined;
    } catch (error) {
      return describeError(error, 'Loading your account');
    }
  }

  /** The user is here: lets the SDK renew the access token while the page is in use. */
  noteActivity(): void {
    if (this.#state.phase === 'signed-in') this.#client.refresher.noteActivity();
  }

  revokeSession(sessionId: string): Promise<void> {
    return this.#act(sessionId, 'Signing that session out', async () => {
      await this.#client.revokeSession(sessionId);
      this.#patch((state) => ({
        sessions: state.sessions.filter((session) => session.id !== sessionId),
        notice: { tone: 'success', text: 'That session has been signed out.' },
      }));
    });
  }

  signOutEverywhereElse(): Promise<void> {
    return this.#act('all-others', 'Signing out your other sessions', async () => {
      const count = await this.#client.revokeAllSessions({ exceptCurrent: true });
      const current = this.#client.currentSessionId;
      this.#patch((state) => ({
        sessions: state.sessions.filter((session) => isCurrent(session, current)),
        notice: {
          tone: 'success',
          text: count === 0 ? 'You were not signed in anywhere else.' : `Signed out of ${count} other session${count === 1 ? '' : 's'}.`,
        },
      }));
    });
  }

  async signOut(): Promise<void> {
    if (this.#state.phase !== 'signed-in') return;
    try {
      await this.#client.logout();
    } catch {
      // Signed out locally all the same; the session ends at its idle timeout at the latest.
    }
    this.#signedOut(signedOutNotice('LOGOUT'));
  }

  trustDevice(deviceId: string): Promise<void> {
    return this.#act(deviceId, 'Trusting the device', async () => {
      const device = await this.#client.trustDevice(deviceId);
      this.#patch((state) => ({
        devices: upsert(state.devices, device),
        notice: { tone: 'success', text: `${device.name ?? 'The device'} is now trusted.` },
      }));
    });
  }

  untrustDevice(deviceId: string): Promise<void> {
    return this.#act(deviceId, 'Untrusting the device', async () => {
      if (deviceId === this.currentDeviceId) {
        this.#expectedSignOut = { tone: 'info', text: 'This browser is no longer trusted and has been signed out.' };
      }
      let device: Device;
      try {
        device = await this.#client.untrustDevice(deviceId);
      } catch (error) {
        this.#expectedSignOut = undefined;
        throw error;
      }
      // The service ended the device's sessions; when one was this page's, onSignedOut follows.
      this.#patch((state) => ({
        devices: upsert(state.devices, device),
        sessions: state.sessions.filter((session) => session.device.id !== deviceId),
        notice: { tone: 'success', text: `${device.name ?? 'The device'} is no longer trusted and has been signed out.` },
      }));
    });
  }

  acknowledgeAlert(alertId: string): Promise<void> {
    return this.#act(alertId, 'Acknowledging the alert', async () => {
      await this.#client.acknowledgeAlert(alertId);
      this.#patch((state) => ({ alerts: state.alerts.filter((alert) => alert.id !== alertId) }));
    });
  }

  dismissNotice(): void {
    if (this.#state.phase === 'signed-in') this.#patch(() => ({ notice: undefined }));
  }

  /**
   * Checks that the service answers, opens the live feed, then loads what the feed does not carry,
   * so that no change falls in between. A feed that cannot connect (a proxy without WebSockets)
   * does not hold the page back: it shows without live updates, and SessionSync keeps trying.
   */
  async #enter(epoch: number): Promise<void> {
    this.#stopSync();
    const user = await this.#client.me();
    if (this.#epoch !== epoch) return;
    const sync = new SessionSync({ client: this.#client });
    this.#sync = sync;
    this.#lastVersion = undefined;
    // Events that arrive while the lists load are applied on top of them (each is an upsert).
    const early: SessionEvent[] = [];
    this.#syncSubscriptions = [
      sync.onChange((sessions) => {
        if (this.#epoch === epoch) this.#patch(() => ({ sessions: thisDeviceFirst(sessions, this.#client.currentSessionId) }));
      }),
      sync.onEvent((event) => {
        if (this.#epoch !== epoch) return;
        if (this.#state.phase === 'signed-in') this.#applyEvent(event);
        else early.push(event);
      }),
    ];
    const started = sync.start();
    const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), LIVE_START_TIMEOUT_MS));
    const live = await Promise.race([started.then(() => true), timeout]);
    if (!live) started.catch(() => undefined);
    // A started sync has loaded the session list; without it, the page fetches the list itself.
    const [fetched, devices, alerts] = await Promise.all([
      live ? undefined : this.#client.activeSessions(),
      this.#client.devices(),
      this.#client.alerts({ unacknowledgedOnly: true }),
    ]);
    if (this.#epoch !== epoch) return;
    const currentSessionId = this.#client.currentSessionId;
    this.#set({
      phase: 'signed-in',
      user,
      currentSessionId,
      // SessionSync's own list is the live one; the fetched one only until the sync has loaded it.
      sessions: thisDeviceFirst(fetched && sync.sessions.length === 0 ? fetched : sync.sessions, currentSessionId),
      devices,
      alerts: [...alerts].sort(NEWEST_FIRST),
      busy: new Set(),
      live: sync.connected,
    });
    // SessionSync reconnects by itself but announces no connection changes, so the page looks.
    this.#liveTimer = setInterval(() => {
      if (this.#state.phase === 'signed-in' && this.#state.live !== sync.connected) this.#patch(() => ({ live: sync.connected }));
    }, LIVE_CHECK_MS);
    for (const event of early) this.#applyEvent(event);
  }

  #applyEvent(event: SessionEvent): void {
    if (this.#state.phase !== 'signed-in') return;
    const gap = this.#lastVersion !== undefined && event.version !== this.#lastVersion + 1;
    this.#lastVersion = event.version;
    if (gap) void this.#reloadDevicesAndAlerts();

    const current = this.#client.currentSessionId;
    if ((event.type === 'SESSION_REVOKED' || event.type === 'SESSION_EXPIRED') && event.sessionId && event.sessionId === current) {
      // The SDK signs out on the socket's 4403 as well; whichever comes first wins, once.
      this.#signedOut(signedOutNotice(event.type));
      return;
    }
    this.#patch((state) => {
      let devices = state.devices;
      const device = event.device ?? event.session?.device;
      if (device) devices = upsert(devices, device);
      let alerts = state.alerts;
      if (event.alert) {
        alerts = event.alert.acknowledgedAt
          ? alerts.filter((alert) => alert.id !== event.alert!.id)
          : upsert(alerts, event.alert).sort(NEWEST_FIRST);
      }
      return { devices, alerts };
    });
  }

  async #reloadDevicesAndAlerts(): Promise<void> {
    const epoch = this.#epoch;
    try {
      const [devices, alerts] = await Promise.all([this.#client.devices(), this.#client.alerts({ unacknowledgedOnly: true })]);
      if (this.#epoch === epoch) this.#patch(() => ({ devices, alerts: [...alerts].sort(NEWEST_FIRST) }));
    } catch {
      // The next event or action tries again.
    }
  }

  /** One action on one item: marks it busy, reports the outcome, refreshes what went stale. */
  async #act(key: string, action: string, run: () => Promise<void>): Promise<void> {
    if (this.#state.phase !== 'signed-in' || this.#state.busy.has(key)) return;
    const epoch = this.#epoch;
    this.#patch((state) => ({ busy: new Set([...state.busy, key]), notice: undefined }));
    try {
      await run();
    } catch (error) {
      // An answer that the session has ended: the SDK signed out before rethrowing, and the epoch moved.
      if (this.#epoch !== epoch) return;
      this.#patch(() => ({ notice: describeError(error, action) }));
      if (isCode(error, 'NOT_FOUND')) {
        void this.#sync?.refetch().catch(() => undefined);
        void this.#reloadDevicesAndAlerts();
      }
    } finally {
      if (this.#epoch === epoch) {
        this.#patch((state) => {
          const busy = new Set(state.busy);
          busy.delete(key);
          return { busy };
        });
      }
    }
  }

  /** The device this page signed in as (the SDK knows it from the sign-in or the first refresh). */
  get currentDeviceId(): string | null {
    return this.#client.currentDeviceId;
  }

  #signedOut(notice: Notice): void {
    this.#expectedSignOut = undefined;
    this.#tabLock.release();
    if (this.#state.phase === 'signed-out') return;
    this.#epoch += 1;
    this.#stopSync();
    this.#set({ phase: 'signed-out', notice });
  }

  #stopSync(): void {
    clearInterval(this.#liveTimer);
    this.#liveTimer = undefined;
    for (const unsubscribe of this.#syncSubscriptions.splice(0)) unsubscribe();
    void this.#sync?.stop();
    this.#sync = undefined;
  }

  #patch(change: (state: SignedInState) => Partial<Omit<SignedInState, 'phase'>>): void {
    if (this.#state.phase !== 'signed-in') return;
    this.#set({ ...this.#state, ...change(this.#state) });
  }

  #set(state: AccountState): void {
    this.#state = state;
    for (const listener of [...this.#listeners]) listener();
  }
}
