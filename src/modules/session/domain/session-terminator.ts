import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../../common/clock.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionEventVersionRepository } from '../data/session-event-version.repository.js';
import { SessionRepository } from '../data/session.repository.js';
import type { Session, SessionEndReason } from './session.js';
import { statusForEndReason } from './session-expiry.policy.js';

/**
 * Ends sessions the one way: in a transaction that first locks the user (the lock order every
 * session change follows), records status, reason and time, and gives each end its event
 * version; the events go out after the commit.
 */
@Injectable()
export class SessionTerminator {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly versions: SessionEventVersionRepository,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  /** Returns the ended session, or undefined when it had already ended. */
  async endOne(userId: string, sessionId: string, reason: SessionEndReason, client?: ClientInfo): Promise<Session | undefined> {
    const ended = await this.inUserTransaction(userId, client, async (tx, now) => {
      const session = await this.sessions.end(tx, sessionId, statusForEndReason(reason), reason, now);
      return session ? [session] : [];
    });
    return ended[0];
  }

  endAllOfUser(userId: string, exceptSessionId: string | null, reason: SessionEndReason, client?: ClientInfo): Promise<Session[]> {
    return this.inUserTransaction(userId, client, (tx, now) => this.sessions.endAllForUser(tx, userId, exceptSessionId, reason, now));
  }

  endExpiredOfUser(userId: string, idleTimeoutMs: number): Promise<Session[]> {
    return this.inUserTransaction(userId, undefined, (tx, now) =>
      this.sessions.endExpiredOfUser(tx, userId, now, new Date(now.getTime() - idleTimeoutMs)),
    );
  }

  /** For a transaction that already holds the user's lock: ends every session on the device; see endedEvents. */
  endAllOnDevice(tx: EntityManager, deviceId: string, reason: SessionEndReason, now: Date): Promise<Session[]> {
    return this.sessions.endAllOnDevice(tx, deviceId, reason, now);
  }

  /** For a transaction that already holds the user's lock: versions and events for sessions it ended. */
  async endedEvents(tx: EntityManager, userId: string, ended: readonly Session[], client?: ClientInfo): Promise<DomainEvent[]> {
    if (ended.length === 0) return [];
    const first = await this.versions.reserve(tx, userId, ended.length);
    return ended.map((session, index) => ({ type: 'SESSION_ENDED', version: first + index, session, client }));
  }

  private async inUserTransaction(
    userId: string,
    client: ClientInfo | undefined,
    work: (tx: EntityManager, now: Date) => Promise<Session[]>,
  ): Promise<Session[]> {
    const { ended, events } = await this.sessions.transaction(async (tx) => {
      await this.versions.lockUser(tx, userId);
      const ended = await work(tx, this.clock.now());
      return { ended, events: await this.endedEvents(tx, userId, ended, client) };
    });
    this.events.publishAll(events);
    return ended;
  }
}
