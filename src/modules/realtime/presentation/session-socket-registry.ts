import { Inject, Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { EventBus, SESSION_ENDED_CHANNEL, type SessionEndedMessage } from '../../../events/event-bus.js';
import type { SessionConnection } from '../../../graphql/request-context.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import { CLOCK_TOLERANCE_SECONDS } from '../../token/domain/token-verifier.js';
import { SessionAuthenticator } from '../../session/domain/session-authenticator.js';
import { SessionStatus } from '../../session/domain/session.js';

/**
 * Close codes, chosen for what graphql-ws clients do with them: 4401 "refresh, then reconnect",
 * 4403 "this session is over, do not retry", 4429 "refused: too many", which graphql-ws's
 * client treats as final rather than retrying in a loop.
 */
export const TOKEN_EXPIRED_CLOSE_CODE = 4401;
export const SESSION_ENDED_CLOSE_CODE = 4403;
export const TOO_MANY_CLOSE_CODE = 4429;

/**
 * A socket with a subscription closes after its final event; this bounds the wait for it. The
 * event comes through the outbox, which on a busy instance can take over a second; meanwhile the
 * socket can do nothing (every operation meets the ended session).
 */
const FINAL_EVENT_WAIT_MS = 3_000;
const OPEN = 1;

export class SocketCapReached extends Error {}

/**
 * The graphql-ws connections of this instance, by session and user. It admits a connection only
 * within the caps, and closes it when its session ends or its access token expires, whichever
 * comes first:
 * - a session's end reaches every instance through the bus and closes its sockets with 4403,
 *   after the final event when they have a subscription to carry it;
 * - every SESSION_STATE_TTL all sockets' sessions are read again, so a socket whose end message
 *   was lost (Redis down, say) is closed all the same, as HTTP is bounded by the cache's TTL;
 * - a timer set at connect closes the socket with 4401 when its token expires, so a stolen
 *   access token cannot live on over a socket for the session's 7–30 days.
 */
@Injectable()
export class SessionSocketRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(SessionSocketRegistry.name);
  private readonly bySession = new Map<string, Set<SessionConnection>>();
  private readonly perUser = new Map<string, number>();
  private readonly expiryTimers = new Map<SessionConnection, NodeJS.Timeout>();
  /** Connections whose session has ended, waiting for their subscription to carry the final event. */
  private readonly ending = new Set<SessionConnection>();
  private unsubscribe: (() => void) | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private recheckRunning = false;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: SessionMetrics,
    private readonly authenticator: SessionAuthenticator,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.trackSockets(() => ({ connections: this.size, subscriptions: this.subscriptionCount }));
    this.unsubscribe = await this.bus.subscribe<SessionEndedMessage>(SESSION_ENDED_CHANNEL, (message) =>
      this.sessionEnded(message.sessionId),
    );
    this.recheckTimer = setInterval(() => void this.recheck(), this.config.sessionStateTtlMs);
    this.recheckTimer.unref();
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.recheckTimer);
    for (const timer of this.expiryTimers.values()) clearTimeout(timer);
  }

  /** Throws SocketCapReached past WS_MAX_CONNECTIONS_PER_SESSION or WS_MAX_CONNECTIONS_PER_USER. */
  admit(claims: AccessTokenClaims, socket: SessionConnection['socket'], client: ClientInfo): SessionConnection {
    const { connectionsPerSession, connectionsPerUser } = this.config.socketLimits;
    const connections = this.bySession.get(claims.sessionId) ?? new Set();
    if (connections.size >= connectionsPerSession) {
      throw new SocketCapReached(`At most ${connectionsPerSession} connections per session`);
    }
    const userCount = this.perUser.get(claims.userId) ?? 0;
    if (userCount >= connectionsPerUser) throw new SocketCapReached(`At most ${connectionsPerUser} connections per user`);

    const connection: SessionConnection = { claims, client, socket, subscriptions: 0 };
    connections.add(connection);
    this.bySession.set(claims.sessionId, connections);
    this.perUser.set(claims.userId, userCount + 1);
    const timer = setTimeout(() => this.expire(connection), this.msUntilExpiry(connection));
    timer.unref();
    this.expiryTimers.set(connection, timer);
    return connection;
  }

  remove(connection: SessionConnection | undefined): void {
    if (!connection) return;
    const connections = this.bySession.get(connection.claims.sessionId);
    if (!connections?.delete(connection)) return;
    if (connections.size === 0) this.bySession.delete(connection.claims.sessionId);
    const userCount = (this.perUser.get(connection.claims.userId) ?? 1) - 1;
    if (userCount > 0) this.perUser.set(connection.claims.userId, userCount);
    else this.perUser.delete(connection.claims.userId);
    clearTimeout(this.expiryTimers.get(connection));
    this.expiryTimers.delete(connection);
    this.ending.delete(connection);
  }

  get size(): number {
    return this.expiryTimers.size;
  }

  /** Running sessionEvents subscriptions over all open sockets, for the metrics. */
  get subscriptionCount(): number {
    let count = 0;
    for (const connection of this.expiryTimers.keys()) count += connection.subscriptions;
    return count;
  }

  /** True once the connection's access token is past `exp` (with the verifier's clock tolerance). */
  hasExpired(connection: SessionConnection): boolean {
    return this.msUntilExpiry(connection) <= 0;
  }

  /** Closes with 4401: the client refreshes its token and connects again. */
  expire(connection: SessionConnection): void {
    this.closeWith(connection, TOKEN_EXPIRED_CLOSE_CODE, 'TOKEN_EXPIRED');
  }

  close(connection: SessionConnection): void {
    this.closeWith(connection, SESSION_ENDED_CLOSE_CODE, 'Session ended');
  }

  /** Every open socket against the clock and its session as the database has it now. */
  async recheck(): Promise<void> {
    if (this.recheckRunning || this.size === 0) return;
    this.recheckRunning = true;
    try {
      const live: SessionConnection[] = [];
      for (const connection of this.expiryTimers.keys()) {
        if (this.hasExpired(connection)) this.expire(connection);
        else live.push(connection);
      }
      const states = await this.authenticator.currentStates(live.map((connection) => connection.claims.sessionId));
      for (const connection of live) {
        const state = states.get(connection.claims.sessionId);
        if (!state || state.userId !== connection.claims.userId) this.closeWith(connection, TOKEN_EXPIRED_CLOSE_CODE, 'UNAUTHENTICATED');
        else if (state.status !== SessionStatus.ACTIVE) this.closeAfterFinalEvent(connection);
      }
    } catch (error) {
      // The database is down: operations on these sockets are refused by the guard (fail
      // closed), and closing every socket now would only start a reconnection storm.
      this.logger.warn(`Could not re-check open sockets' sessions: ${(error as Error).message}`);
    } finally {
      this.recheckRunning = false;
    }
  }

  private msUntilExpiry(connection: SessionConnection): number {
    return connection.claims.expiresAt.getTime() + CLOCK_TOLERANCE_SECONDS * 1000 - this.clock.now().getTime();
  }

  private closeWith(connection: SessionConnection, code: number, reason: string): void {
    if (connection.socket.readyState === OPEN) connection.socket.close(code, reason);
    this.remove(connection);
  }

  private sessionEnded(sessionId: string): void {
    for (const connection of this.bySession.get(sessionId) ?? []) this.closeAfterFinalEvent(connection);
  }

  /**
   * Closes with 4403 at once when no subscription is there to carry the session's final event;
   * otherwise the subscription closes the socket after that event, and this only bounds the wait,
   * whether the end was announced on the bus or found by the re-check.
   */
  private closeAfterFinalEvent(connection: SessionConnection): void {
    if (connection.subscriptions === 0) return this.close(connection);
    if (this.ending.has(connection)) return;
    this.ending.add(connection);
    setTimeout(() => this.close(connection), FINAL_EVENT_WAIT_MS).unref();
  }
}
