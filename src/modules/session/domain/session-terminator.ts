import { Injectable } from '@nestjs/common';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionRepository } from '../data/session.repository.js';
import type { Session, SessionEndReason } from './session.js';
import { statusForEndReason } from './session-expiry.policy.js';
import { UserChange, type ChangeScope } from './user-change.js';

/**
 * Ends sessions the one way: as a UserChange (the user locked first, then session rows), with
 * status, reason and time recorded, and one SESSION_ENDED event, with its version, per session.
 */
@Injectable()
export class SessionTerminator {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly userChange: UserChange,
  ) {}

  /** Returns the ended session, or undefined when it had already ended. */
  endOne(userId: string, sessionId: string, reason: SessionEndReason, client?: ClientInfo): Promise<Session | undefined> {
    return this.userChange.run(userId, client, (change) => this.endLocked(change, sessionId, reason));
  }

  endAllOfUser(userId: string, exceptSessionId: string | null, reason: SessionEndReason, client?: ClientInfo): Promise<Session[]> {
    return this.userChange.run(userId, client, (change) => this.endAllLocked(change, exceptSessionId, reason));
  }

  /** Inside a change: ends every session of its user but `exceptSessionId`. */
  async endAllLocked(change: ChangeScope, exceptSessionId: string | null, reason: SessionEndReason): Promise<Session[]> {
    return this.ended(change, await this.sessions.endAllForUser(change.tx, change.userId, exceptSessionId, reason, change.now));
  }

  endExpiredOfUser(userId: string, idleTimeoutMs: number): Promise<Session[]> {
    return this.userChange.run(userId, undefined, async (change) =>
      this.ended(
        change,
        await this.sessions.endExpiredOfUser(change.tx, userId, change.now, new Date(change.now.getTime() - idleTimeoutMs)),
      ),
    );
  }

  /** Inside a change: ends every session on the device. */
  async endAllOnDevice(change: ChangeScope, deviceId: string, reason: SessionEndReason): Promise<Session[]> {
    return this.ended(change, await this.sessions.endAllOnDevice(change.tx, deviceId, reason, change.now));
  }

  /** Inside a change: ends one session the change holds. */
  async endLocked(change: ChangeScope, sessionId: string, reason: SessionEndReason): Promise<Session | undefined> {
    const session = await this.sessions.end(change.tx, sessionId, statusForEndReason(reason), reason, change.now);
    return this.ended(change, session ? [session] : [])[0];
  }

  /** Inside a change: the SESSION_ENDED events of sessions it ended. */
  ended(change: ChangeScope, sessions: Session[]): Session[] {
    for (const session of sessions) change.emit({ type: 'SESSION_ENDED', version: change.nextVersion(), session, client: change.client });
    return sessions;
  }
}
