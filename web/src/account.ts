import { isReauthenticationRequired, SessionClient, SessionSync, sortSessions } from './sdk.js';
import type { Device, DeviceInput, Session, SessionAlert, SessionEvent, TokenStore, User } from './sdk.js';
import { deviceName } from './format.js';
import {
  describeError,
  describePasswordRefusal,
  isCode,
  newPasswordProblem,
  passwordChangedNotice,
  signedOutNotice,
  signedOutReasonOf,
  type Notice,
} from './messages.js';
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
  /** The open alerts, and the acknowledged ones this page has heard of (all of them once the history was asked for). */
  readonly alerts: readonly SessionAlert[];
  /** Whether the acknowledged alerts are shown beside the open ones. */
  readonly alertHistory: boolean;
  /** Result or failure of the last action, or news from another device. */
  readonly notice?: Notice;
  /** Ids of sessions, devices and alerts with an action under way, and 'all-others', 'everywhere', 'password', 'alert-history'. */
  readonly busy: ReadonlySet<string>;
  /** Whether the live feed is connected; while it is not, changes elsewhere do not show. */
  readonly live: boolean;
  /** A sensitive action the service held back until the person enters their password again. */
  readonly stepUp?: StepUp;
}

/** The step-up prompt: what waits for the password, and how recent the service wants it. */
export interface StepUp {
  /** What the person asked for, as in the notices: "Trusting the device". */
  readonly action: string;
  readonly maxAgeSeconds?: number;
}

/** The service's limit on a device name, in characters as people count them (code points). */
export const DEVICE_NAME_MAX_LENGTH = 64;

/**
 * Why the service would refuse a device name, or undefined when it would take it: checked here
 * so that the answer comes at once. Spaces around the name do not count; control and invisible
 * formatting characters are refused, since they could hide or reorder what the list shows.
 */
export function deviceNameProblem(name: string): string | undefined {
  const trimmed = name.trim().normalize('NFC');
  if (trimmed.length === 0) return 'Enter a name for the device.';
  if ([...trimmed].length > DEVICE_NAME_MAX_LENGTH) return `A device name can have at most ${DEVICE_NAME_MAX_LENGTH} characters.`;
  if (/[\p{Cc}\p{Cf}]/u.test(trimmed)) return 'A device name cannot hold control or invisible formatting characters.';
  return undefined;
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

/** Replaces the item with the same id, leaving the list as it is when there is none. */
function update<T extends { id: string }>(items: readonly T[], item: T): readonly T[] {
  return items.some((existing) => existing.id === item.id) ? upsert(items, item) : items;
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
  /** The action behind the step-up prompt, sent again once the password is confirmed. */
  #heldAction: { readonly key: string; readonly action: string; readonly run: () => Promise<void> } | undefined;
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

  /** Every session of the account ends, this page's included: the page shows the sign-in form. */
  signOutEverywhere(): Promise<void> {
    return this.#act('everywhere', 'Signing out everywhere', async () => {
      await this.#expectingSignOut(
        { tone: 'info', text: 'You have signed out everywhere: every session of your account has ended, this one included.' },
        () => this.#client.signOutEverywhere(),
      );
    });
  }

  /**
   * Resolves to a notice for the form when the change was refused; on success the page says how
   * many other sessions ended, and the form empties.
   */
  async changePassword(currentPassword: string, newPassword: string): Promise<Notice | undefined> {
    if (this.#state.phase !== 'signed-in' || this.#state.busy.has('password')) return undefined;
    const problem = newPasswordProblem({ currentPassword, newPassword, email: this.#state.user.email });
    if (problem) return problem;
    const epoch = this.#epoch;
    this.#markBusy('password', true);
    try {
      const ended = await this.#client.changePassword({ currentPassword, newPassword });
      const current = this.#client.currentSessionId;
      this.#patch((state) => ({
        sessions: state.sessions.filter((session) => isCurrent(session, current)),
        notice: passwordChangedNotice(ended),
      }));
      return undefined;
    } catch (error) {
      if (this.#epoch !== epoch) return undefined; // the session ended meanwhile: the sign-in form says why
      if (isCode(error, 'INVALID_CREDENTIALS')) return { tone: 'error', text: 'Your current password is not right. Nothing was changed.' };
      if (isCode(error, 'BAD_USER_INPUT')) return describePasswordRefusal(error);
      return describeError(error, 'Changing your password');
    } finally {
      if (this.#epoch === epoch) this.#markBusy('password', false);
    }
  }

  /**
   * The step-up prompt's answer: proves it is still the same person (the SDK keeps the new
   * tokens), then sends the held action again. Resolves to a notice for the prompt when the
   * password was not accepted; the prompt stays open for another try.
   */
  async confirmIdentity(password: string): Promise<Notice | undefined> {
    const held = this.#heldAction;
    if (this.#state.phase !== 'signed-in' || !held) return undefined;
    const epoch = this.#epoch;
    try {
      await this.#client.reauthenticate(password);
    } catch (error) {
      if (this.#epoch !== epoch) return undefined;
      if (isCode(error, 'INVALID_CREDENTIALS')) return { tone: 'error', text: 'That password is not right. Try again.' };
      return describeError(error, 'Confirming it’s you');
    }
    if (this.#epoch !== epoch || this.#heldAction !== held) return undefined;
    this.#heldAction = undefined;
    this.#patch(() => ({ stepUp: undefined }));
    await this.#act(held.key, held.action, held.run);
    return undefined;
  }

  /** The person closed the step-up prompt: the held action is dropped. */
  cancelStepUp(): void {
    if (!this.#heldAction) return;
    this.#heldAction = undefined;
    this.#patch(() => ({ stepUp: undefined, notice: { tone: 'info', text: 'Nothing was changed.' } }));
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
      const here = deviceId === this.currentDeviceId;
      const device = await this.#expectingSignOut(
        here ? { tone: 'info', text: 'This browser is no longer trusted and has been signed out.' } : undefined,
        () => this.#client.untrustDevice(deviceId),
      );
      // The service ended the device's sessions; when one was this page's, onSignedOut follows.
      this.#patch((state) => ({
        devices: upsert(state.devices, device),
        sessions: state.sessions.filter((session) => session.device.id !== deviceId),
        notice: { tone: 'success', text: `${device.name ?? 'The device'} is no longer trusted and has been signed out.` },
      }));
    });
  }

  renameDevice(deviceId: string, name: string): Promise<void> {
    const problem = deviceNameProblem(name);
    if (problem) {
      this.#patch(() => ({ notice: { tone: 'error', text: problem } }));
      return Promise.resolve();
    }
    return this.#act(deviceId, 'Renaming the device', async () => {
      const device = await this.#client.renameDevice(deviceId, name.trim());
      this.#patch((state) => ({
        devices: upsert(state.devices, device),
        sessions: state.sessions.map((session) => (session.device.id === deviceId ? { ...session, device } : session)),
        notice: { tone: 'success', text: `The device is now called ${device.name ?? name.trim()}.` },
      }));
    });
  }

  /** Forgets the device and ends its sessions; removing this browser signs the page out. */
  removeDevice(deviceId: string): Promise<void> {
    return this.#act(deviceId, 'Removing the device', async () => {
      const here = deviceId === this.currentDeviceId;
      const name = this.#deviceName(deviceId);
      await this.#expectingSignOut(
        here ? { tone: 'info', text: 'This browser has been removed from your account and signed out.' } : undefined,
        () => this.#client.removeDevice(deviceId),
      );
      this.#patch((state) => ({
        devices: state.devices.filter((device) => device.id !== deviceId),
        sessions: state.sessions.filter((session) => session.device.id !== deviceId),
        notice: { tone: 'success', text: `${name} has been removed from your account and signed out.` },
      }));
    });
  }

  acknowledgeAlert(alertId: string): Promise<void> {
    return this.#act(alertId, 'Acknowledging the alert', async () => {
      const alert = await this.#client.acknowledgeAlert(alertId);
      this.#patch((state) => ({ alerts: upsert(state.alerts, alert) }));
    });
  }

  /**
   * "This wasn't me": the service ends the session the alert names, untrusts its device and
   * acknowledges the alert. The page offers it for other sessions only (this one was the person here).
   */
  reportAlert(alertId: string): Promise<void> {
    return this.#act(alertId, 'Reporting the alert', async () => {
      const alert = await this.#client.reportAlert(alertId);
      this.#patch((state) => ({
        alerts: upsert(state.alerts, alert),
        sessions: state.sessions.filter((session) => session.id !== alert.sessionId),
        notice: {
          tone: 'success',
          text: 'Thank you. That session has been signed out and its device is no longer trusted. If you think someone knows your password, change it below.',
        },
      }));
    });
  }

  /** Shows the acknowledged alerts too (fetched then), or only the open ones again. */
  async showAlertHistory(show: boolean): Promise<void> {
    if (this.#state.phase !== 'signed-in' || this.#state.alertHistory === show) return;
    this.#patch(() => ({ alertHistory: show }));
    if (!show) return;
    await this.#act('alert-history', 'Loading earlier alerts', async () => {
      const alerts = await this.#client.alerts({ unacknowledgedOnly: false });
      this.#patch(() => ({ alerts: [...alerts].sort(NEWEST_FIRST) }));
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
      alertHistory: false,
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
      // The SDK signs out on the socket's 4403 as well; whichever comes first wins, once. An
      // action of this page that ends its own session says so in its own words.
      this.#signedOut(this.#expectedSignOut ?? signedOutNotice(signedOutReasonOf(event)));
      return;
    }
    this.#patch((state) => {
      let devices = state.devices;
      const device = event.device ?? event.session?.device;
      if (event.type === 'DEVICE_REMOVED' && device) {
        devices = devices.filter((known) => known.id !== device.id);
      } else if (event.type === 'SESSION_REVOKED' || event.type === 'SESSION_EXPIRED') {
        // An ended session's device may have been removed with it: refresh it, never bring it back.
        if (device) devices = update(devices, device);
      } else if (device) {
        devices = upsert(devices, device);
      }
      // Acknowledged alerts stay, for the history; the list shows the open ones unless it is asked for.
      const alerts = event.alert ? upsert(state.alerts, event.alert).sort(NEWEST_FIRST) : state.alerts;
      return { devices, alerts };
    });
  }

  async #reloadDevicesAndAlerts(): Promise<void> {
    const epoch = this.#epoch;
    const unacknowledgedOnly = this.#state.phase !== 'signed-in' || !this.#state.alertHistory;
    try {
      const [devices, alerts] = await Promise.all([this.#client.devices(), this.#client.alerts({ unacknowledgedOnly })]);
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
      if (isReauthenticationRequired(error)) {
        // Held, not failed: the prompt asks for the password and sends it again (confirmIdentity).
        this.#heldAction = { key, action, run };
        this.#patch(() => ({ stepUp: { action, maxAgeSeconds: error.maxAgeSeconds } }));
        return;
      }
      this.#patch(() => ({ notice: describeError(error, action) }));
      if (isCode(error, 'NOT_FOUND')) {
        void this.#sync?.refetch().catch(() => undefined);
        void this.#reloadDevicesAndAlerts();
      }
    } finally {
      if (this.#epoch === epoch) this.#markBusy(key, false);
    }
  }

  /**
   * Runs an action that may end this page's own session, so that the sign-out which follows
   * (from the SDK, or the live feed, whichever comes first) says what the person did.
   */
  async #expectingSignOut<T>(notice: Notice | undefined, run: () => Promise<T>): Promise<T> {
    if (!notice) return run();
    this.#expectedSignOut = notice;
    try {
      return await run();
    } catch (error) {
      this.#expectedSignOut = undefined;
      throw error;
    }
  }

  #markBusy(key: string, busy: boolean): void {
    this.#patch((state) => {
      const next = new Set(state.busy);
      if (busy) next.add(key);
      else next.delete(key);
      return { busy: next };
    });
  }

  #deviceName(deviceId: string): string {
    const device = this.#state.phase === 'signed-in' ? this.#state.devices.find((known) => known.id === deviceId) : undefined;
    return device ? deviceName(device) : 'The device';
  }

  /** The device this page signed in as (the SDK knows it from the sign-in or the first refresh). */
  get currentDeviceId(): string | null {
    return this.#client.currentDeviceId;
  }

  #signedOut(notice: Notice): void {
    this.#expectedSignOut = undefined;
    this.#heldAction = undefined;
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
