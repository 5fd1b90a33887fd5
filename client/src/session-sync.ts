import { createClient, type Client } from 'graphql-ws/client';
import { TesseraSessionEventsDocument, type TesseraSessionEventsSubscription } from './generated/graphql.js';
import { Listeners } from './listeners.js';
import type { SessionClient } from './session-client.js';
import type { SignedOutReason } from './token-refresher.js';
import { SIGN_OUT_CODES, TesseraError } from './tessera-error.js';
import type { Session, SessionEvent } from './types.js';
import { applySessionEvent, sortSessions } from './session-list.js';

export interface SessionSyncOptions {
  readonly client: SessionClient;
  /** A WebSocket class for platforms without a global one: in Node, the `ws` package's default export. */
  readonly webSocketImpl?: unknown;
  /** Backoff between reconnections: the first wait, doubling up to the second. Default 500 ms to 15 s. */
  readonly reconnectDelayMs?: { readonly initial: number; readonly max: number };
}

/** The service closes a socket whose access token it cannot accept with 4401, and one whose session ended with 4403. */
const CLOSE_UNAUTHORIZED = 4401;
const CLOSE_SESSION_ENDED = 4403;

/**
 * - `connecting`: opening a socket, or waiting to retry after a failure;
 * - `connected`: subscribed, the list is live;
 * - `waiting-for-activity`: the socket dropped while the app was idle and its token ran out; the
 *   sync reconnects at the next sign of use rather than renew the session on its own;
 * - `stopped`.
 */
export type SessionSyncStatus = 'stopped' | 'connecting' | 'connected' | 'waiting-for-activity';

/**
 * Keeps this device's view of the user's sessions live: one `sessionEvents` subscription over
 * graphql-ws, authenticated with a current access token at every (re)connection.
 *
 * - The list is fetched at start and after every reconnection (events may have been missed
 *   while away), and again when an event's `version` is not one more than the last one's.
 * - Events that arrive while a fetch is under way are applied again on top of its answer, so a
 *   change is never lost between the fetch and the stream.
 * - The end of this device's own session (its final event, or the socket closed with 4403)
 *   clears the store and emits the client's onSignedOut.
 */
export class SessionSync {
  private readonly client: SessionClient;
  private readonly webSocketImpl: unknown;
  private readonly reconnectDelay: { readonly initial: number; readonly max: number };
  private readonly changes = new Listeners<[sessions: readonly Session[]]>();
  private readonly events = new Listeners<[event: SessionEvent]>();
  private list: readonly Session[] = [];
  private lastVersion: number | undefined;
  private socket: Client | undefined;
  private state: SessionSyncStatus = 'stopped';
  private generation = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private reconnectAttempts = 0;
  private refetching: Promise<void> | undefined;
  private refetchAgain = false;
  private heldDuringRefetch: SessionEvent[] = [];
  private stopSignedOut: (() => void) | undefined;
  private stopWaitingForActivity: (() => void) | undefined;
  /** The access token the current connection was opened with: the one to drop when the service refuses it. */
  private connectionToken: string | undefined;
  private firstConnection: { resolve: () => void; reject: (error: unknown) => void } | undefined;

  constructor(options: SessionSyncOptions) {
    this.client = options.client;
    this.webSocketImpl = options.webSocketImpl;
    this.reconnectDelay = options.reconnectDelayMs ?? { initial: 500, max: 15_000 };
  }

  /** The user's active sessions as this device last heard of them, most recently active first. */
  get sessions(): readonly Session[] {
    return this.list;
  }

  get connected(): boolean {
    return this.state === 'connected';
  }

  get status(): SessionSyncStatus {
    return this.state;
  }

  /**
   * Connects, subscribes and fetches the list. Resolves once the first connection is up and the
   * list is loaded (offline, it keeps trying: an app need not wait for it), or when stop() is
   * called first; rejects when the client is not signed in or is signed out before that.
   */
  start(): Promise<void> {
    if (this.state !== 'stopped') return Promise.resolve();
    if (!this.client.currentSessionId) return Promise.reject(new TesseraError('UNAUTHENTICATED', 'Not signed in: log in first.'));
    this.stopSignedOut = this.client.onSignedOut(
      () => void this.shutDown([], new TesseraError('UNAUTHENTICATED', 'Signed out before the session list could be loaded.')),
    );
    const started = new Promise<void>((resolve, reject) => (this.firstConnection = { resolve, reject }));
    this.connectWhenAllowed();
    return started;
  }

  /** Closes the subscription; the list stays as it was. */
  async stop(): Promise<void> {
    await this.shutDown(this.list);
  }

  onChange(listener: (sessions: readonly Session[]) => void): () => void {
    return this.changes.add(listener);
  }

  /** Every event, including device and alert events, so that a screen can refetch what it shows. */
  onEvent(listener: (event: SessionEvent) => void): () => void {
    return this.events.add(listener);
  }

  /** Fetches the list now; concurrent calls share one fetch, and a call during a fetch queues one more. */
  refetch(): Promise<void> {
    if (this.refetching) {
      this.refetchAgain = true;
      return this.refetching;
    }
    this.refetching = this.fetchList().finally(() => (this.refetching = undefined));
    return this.refetching;
  }

  /** Renewing a token for a socket of an idle app would keep its session alive for ever: wait for the user instead. */
  private connectWhenAllowed(): void {
    if (this.client.refresher.backgroundUseAllowed) {
      this.connect();
      return;
    }
    const generation = this.generation;
    this.state = 'waiting-for-activity';
    this.stopWaitingForActivity = this.client.refresher.onActivity(() => {
      this.stopWaitingForActivity?.();
      this.stopWaitingForActivity = undefined;
      if (generation === this.generation && this.state === 'waiting-for-activity') this.connect();
    });
  }

  private connect(): void {
    const generation = ++this.generation;
    this.state = 'connecting';
    const url = this.client.graphqlUrl.replace(/^http/, 'ws');
    const socket = createClient({
      url,
      webSocketImpl: this.webSocketImpl,
      lazy: true,
      // Reconnection is ours: the service's 4401 needs a fresh token, which graphql-ws would treat as fatal.
      retryAttempts: 0,
      keepAlive: 20_000,
      connectionParams: async () => {
        // Background work: renews only a token that has run out, so an open socket cannot keep an idle session alive.
        const token = await this.client.refresher.getAccessToken({ activity: false });
        this.connectionToken = token;
        // Bearer, or for a session bound to the device key DPoP with a proof for GET on the socket's URL.
        return { ...(await this.client.authorizationHeaders(token, { method: 'GET', url })) };
      },
      on: {
        connected: () => {
          if (generation !== this.generation) return;
          this.state = 'connected';
          this.reconnectAttempts = 0;
          this.lastVersion = undefined;
          this.refetch().then(
            () => this.settleFirstConnection(),
            // A list that cannot be loaded is as good as no connection: start over, with backoff.
            () => {
              if (generation === this.generation) this.socket?.terminate();
            },
          );
        },
      },
    });
    this.socket = socket;
    socket.subscribe<TesseraSessionEventsSubscription>(
      { query: String(TesseraSessionEventsDocument) },
      {
        next: (result) => {
          if (generation !== this.generation) return;
          if (result.data) this.receive(result.data.sessionEvents);
        },
        error: (error) => {
          if (generation === this.generation) void this.disconnected(error);
        },
        // The service completes the stream only when it ends this session; should the final event
        // have been lost, connecting again hears the verdict (4403).
        complete: () => {
          if (generation === this.generation) void this.disconnected(undefined);
        },
      },
    );
  }

  private receive(event: SessionEvent): void {
    const ownSessionEnded = this.ownSessionEndedBy(event);
    if (this.lastVersion !== undefined && event.version <= this.lastVersion) return; // already seen (a redelivery)
    // The first event after a (re)connection has no predecessor to compare with: an event that
    // slipped between the list's fetch and the subscription taking effect would go unnoticed.
    const mayHaveMissed = this.lastVersion === undefined || event.version > this.lastVersion + 1;
    this.lastVersion = event.version;
    this.events.emit(event);
    if (ownSessionEnded) {
      void this.client.refresher.signOut(ownSessionEnded);
      return;
    }
    if (this.refetching) this.heldDuringRefetch.push(event);
    this.setList(applySessionEvent(this.list, event));
    if (mayHaveMissed) void this.refetch().catch(() => undefined);
  }

  /** The sign-out reason when the event ends this device's own session; undefined otherwise. */
  private ownSessionEndedBy(event: SessionEvent): SignedOutReason | undefined {
    if (event.type === 'SESSION_REVOKED' || event.type === 'SESSION_EXPIRED') {
      if (event.sessionId === null || event.sessionId !== this.client.currentSessionId) return undefined;
      // The app can tell the user why no sign-in will work for now.
      return event.session?.endReason === 'ACCOUNT_DISABLED' ? 'ACCOUNT_DISABLED' : event.type;
    }
    // Forgetting a device ends its sessions: this one's own event may come later, or not before the socket closes.
    if (event.type === 'DEVICE_REMOVED' && event.device !== null && event.device.id === this.client.currentDeviceId) {
      return 'SESSION_REVOKED';
    }
    return undefined;
  }

  private async fetchList(): Promise<void> {
    do {
      this.refetchAgain = false;
      this.heldDuringRefetch = [];
      const fetched = sortSessions(await this.client.activeSessions());
      const held = this.heldDuringRefetch;
      this.heldDuringRefetch = [];
      if (this.state === 'stopped') return;
      this.setList(held.reduce<readonly Session[]>(applySessionEvent, fetched));
    } while (this.refetchAgain);
  }

  private async disconnected(error: unknown): Promise<void> {
    const code = closeCode(error);
    this.state = 'connecting';
    if (code === CLOSE_SESSION_ENDED) {
      const reason = closeReason(error);
      await this.client.refresher.signOut(reason && SIGN_OUT_CODES.has(reason) ? reason : 'SESSION_REVOKED');
      return;
    }
    // Refused at connection_init (expired, or signed with a key the service dropped): connect again with a renewed token.
    if (code === CLOSE_UNAUTHORIZED && this.connectionToken) this.client.refresher.invalidate(this.connectionToken);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.state === 'stopped') return;
    const generation = this.generation;
    void Promise.resolve(this.socket?.dispose()).catch(ignoreFailedConnection);
    const wait = Math.min(this.reconnectDelay.max, this.reconnectDelay.initial * 2 ** this.reconnectAttempts);
    this.reconnectAttempts += 1;
    this.reconnectTimer = setTimeout(
      () => {
        if (generation === this.generation && this.state !== 'stopped') this.connectWhenAllowed();
      },
      wait / 2 + Math.random() * (wait / 2),
    );
  }

  private async shutDown(finalList: readonly Session[], pendingStartError?: TesseraError): Promise<void> {
    if (this.state === 'stopped') return;
    this.state = 'stopped';
    this.generation += 1;
    clearTimeout(this.reconnectTimer);
    this.stopWaitingForActivity?.();
    this.stopWaitingForActivity = undefined;
    this.stopSignedOut?.();
    this.stopSignedOut = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.settleFirstConnection(pendingStartError);
    if (finalList !== this.list) this.setList(finalList);
    await Promise.resolve(socket?.dispose()).catch(ignoreFailedConnection);
  }

  /** Listeners hear of a change, not of every event or refetch that confirmed what they had. */
  private setList(sessions: readonly Session[]): void {
    if (sessions === this.list || JSON.stringify(sessions) === JSON.stringify(this.list)) return;
    this.list = sessions;
    this.changes.emit(sessions);
  }

  private settleFirstConnection(error?: unknown): void {
    const pending = this.firstConnection;
    this.firstConnection = undefined;
    if (!pending) return;
    if (error === undefined) pending.resolve();
    else pending.reject(error);
  }
}

/**
 * graphql-ws's dispose() waits for a connection under way and rejects with whatever stopped it
 * (a token renewal that signed the user out, say): a socket that never opened has nothing to close.
 */
function ignoreFailedConnection(): void {
  // nothing to close
}

function closeCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function closeReason(error: unknown): string | undefined {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return typeof reason === 'string' ? reason : undefined;
}
