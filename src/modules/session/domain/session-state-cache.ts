import { performance } from 'node:perf_hooks';
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import {
  EventBus,
  SESSION_ENDED_CHANNEL,
  USER_ROLES_CHANGED_CHANNEL,
  type SessionEndedMessage,
  type UserRolesChangedMessage,
} from '../../../events/event-bus.js';
import type { Role } from '../../../kernel/role.js';
import type { SessionAuthState } from '../data/session.repository.js';
import { SessionStatus } from './session.js';

interface Entry {
  state: SessionAuthState;
  readonly storedAt: number;
}

/**
 * The guard's view of sessions, kept in memory so that the common request costs no database
 * round trip. An ended session is final: once this instance has heard of the end, a slower
 * database read can never bring the session back to life here.
 *
 * Ends reach every instance through the bus at once; SESSION_STATE_TTL (5 s by default) bounds
 * how long a state may be served from memory, and so the damage if such a message (or a change
 * of roles') is lost, Redis being down, say.
 */
@Injectable()
export class SessionStateCache implements OnModuleInit, OnApplicationShutdown {
  private readonly entries = new Map<string, Entry>();
  private readonly unsubscribe: (() => void)[] = [];
  private cleanup: NodeJS.Timeout | undefined;

  private readonly ttlMs: number;

  constructor(
    private readonly bus: EventBus,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.ttlMs = config.sessionStateTtlMs;
  }

  async onModuleInit(): Promise<void> {
    this.unsubscribe.push(
      await this.bus.subscribe<SessionEndedMessage>(SESSION_ENDED_CHANNEL, (message) =>
        this.markEnded(message.sessionId, message.status === 'EXPIRED' ? SessionStatus.EXPIRED : SessionStatus.REVOKED),
      ),
      await this.bus.subscribe<UserRolesChangedMessage>(USER_ROLES_CHANGED_CHANNEL, (message) =>
        this.setRoles(message.userId, message.roles as Role[]),
      ),
    );
    this.cleanup = setInterval(() => this.dropStale(), this.ttlMs);
    this.cleanup.unref();
  }

  onApplicationShutdown(): void {
    for (const unsubscribe of this.unsubscribe) unsubscribe();
    clearInterval(this.cleanup);
  }

  get(sessionId: string): SessionAuthState | undefined {
    const entry = this.entries.get(sessionId);
    if (!entry) return undefined;
    if (performance.now() - entry.storedAt > this.ttlMs) {
      this.entries.delete(sessionId);
      return undefined;
    }
    return entry.state;
  }

  /** A state read from the database; ignored when this instance already knows the session ended. */
  remember(sessionId: string, state: SessionAuthState): void {
    const known = this.entries.get(sessionId);
    if (known && known.state.status !== SessionStatus.ACTIVE && state.status === SessionStatus.ACTIVE) return;
    this.entries.set(sessionId, { state, storedAt: performance.now() });
  }

  /** What this instance wrote itself (activity, a committed generation). */
  update(sessionId: string, changes: Partial<Pick<SessionAuthState, 'lastActivityAt' | 'committedGeneration'>>): void {
    const entry = this.entries.get(sessionId);
    if (entry && entry.state.status === SessionStatus.ACTIVE) entry.state = { ...entry.state, ...changes };
  }

  /** A demotion or a promotion: the user's cached sessions act with `roles` from now on. */
  setRoles(userId: string, roles: readonly Role[]): void {
    for (const entry of this.entries.values()) {
      if (entry.state.userId === userId) entry.state = { ...entry.state, roles };
    }
  }

  markEnded(sessionId: string, status: SessionStatus): void {
    const entry = this.entries.get(sessionId);
    if (entry) {
      entry.state = { ...entry.state, status };
    } else {
      // Remembered without the rest of the state: a later read fills it, but cannot revive it.
      this.entries.set(sessionId, {
        state: { userId: '', status, lastActivityAt: new Date(0), expiresAt: new Date(0), committedGeneration: 0, roles: [] },
        storedAt: performance.now(),
      });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private dropStale(): void {
    const now = performance.now();
    for (const [sessionId, entry] of this.entries) {
      if (now - entry.storedAt > this.ttlMs) this.entries.delete(sessionId);
    }
  }
}
