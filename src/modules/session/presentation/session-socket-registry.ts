import { Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { EventBus, SESSION_ENDED_CHANNEL, type SessionEndedMessage } from '../../../events/event-bus.js';
import type { SessionConnection } from '../../../graphql/request-context.js';
import type { AccessTokenClaims } from '../../token/domain/access-token.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';

export const SESSION_ENDED_CLOSE_CODE = 4403;
/** A socket with a subscription closes after its final event; this bounds the wait for it. */
const FINAL_EVENT_WAIT_MS = 1_000;
const OPEN = 1;

/**
 * The graphql-ws connections of this instance, by session. When a session ends anywhere, the
 * bus says so and its sockets here are closed with 4403, after the final event when they have
 * a subscription to carry it.
 */
@Injectable()
export class SessionSocketRegistry implements OnModuleInit, OnApplicationShutdown {
  private readonly bySession = new Map<string, Set<SessionConnection>>();
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly bus: EventBus,
    private readonly metrics: SessionMetrics,
  ) {}

  async onModuleInit(): Promise<void> {
    this.metrics.trackSubscriptions(() => this.size);
    this.unsubscribe = await this.bus.subscribe<SessionEndedMessage>(SESSION_ENDED_CHANNEL, (message) =>
      this.sessionEnded(message.sessionId),
    );
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }

  add(claims: AccessTokenClaims, socket: SessionConnection['socket']): SessionConnection {
    const connection: SessionConnection = { claims, socket, subscriptions: 0 };
    const connections = this.bySession.get(claims.sessionId) ?? new Set();
    connections.add(connection);
    this.bySession.set(claims.sessionId, connections);
    return connection;
  }

  remove(connection: SessionConnection | undefined): void {
    if (!connection) return;
    const connections = this.bySession.get(connection.claims.sessionId);
    connections?.delete(connection);
    if (connections?.size === 0) this.bySession.delete(connection.claims.sessionId);
  }

  get size(): number {
    let count = 0;
    for (const connections of this.bySession.values()) count += connections.size;
    return count;
  }

  close(connection: SessionConnection): void {
    if (connection.socket.readyState === OPEN) connection.socket.close(SESSION_ENDED_CLOSE_CODE, 'Session ended');
    this.remove(connection);
  }

  private sessionEnded(sessionId: string): void {
    for (const connection of this.bySession.get(sessionId) ?? []) {
      if (connection.subscriptions === 0) this.close(connection);
      else setTimeout(() => this.close(connection), FINAL_EVENT_WAIT_MS).unref();
    }
  }
}
