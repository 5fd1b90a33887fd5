import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { forbidden, notFound } from '../../../common/domain-error.js';
import { SessionRepository } from '../data/session.repository.js';
import { SessionEndReason, SessionStatus, type Session } from './session.js';
import { expiryAt } from './session-expiry.policy.js';
import { SessionTerminator } from './session-terminator.js';
import { SessionStepUp } from './session-step-up.js';
import { isAdmin, type Actor } from './session-grant.js';

/** Listing and ending sessions. Logins live in SessionLoginService, rotation in SessionRefreshService. */
@Injectable()
export class SessionService {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly terminator: SessionTerminator,
    private readonly stepUp: SessionStepUp,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async listActive(actor: Actor, userId: string = actor.userId): Promise<Session[]> {
    this.assertMayActFor(actor, userId);
    return this.sessions.listActive(userId, this.clock.now(), this.config.sessionIdleTimeoutMs);
  }

  /** The caller's own session in any state (for audit), or anyone's for an admin. */
  async get(actor: Actor, sessionId: string): Promise<Session> {
    return this.settleExpiry(await this.getVisible(actor, sessionId));
  }

  /** Idempotent: revoking an ended session answers its final state. */
  async revoke(actor: Actor, sessionId: string): Promise<Session> {
    const session = await this.settleExpiry(await this.getVisible(actor, sessionId));
    const reason = session.userId === actor.userId ? SessionEndReason.REVOKED_BY_USER : SessionEndReason.REVOKED_BY_ADMIN;
    return (await this.terminator.endOne(session.userId, session.id, reason, actor.client)) ?? (await this.getVisible(actor, sessionId));
  }

  async revokeAll(actor: Actor, options: { exceptCurrent?: boolean; userId?: string }): Promise<number> {
    const userId = options.userId ?? actor.userId;
    this.assertMayActFor(actor, userId);
    // Ending every session, the caller's own included, is a sensitive operation; "everywhere else" is not.
    if (!options.exceptCurrent) await this.stepUp.assertRecent(actor);
    const own = userId === actor.userId;
    const ended = await this.terminator.endAllOfUser(
      userId,
      own && options.exceptCurrent ? actor.sessionId : null,
      own ? SessionEndReason.REVOKED_BY_USER : SessionEndReason.REVOKED_BY_ADMIN,
      actor.client,
    );
    return ended.length;
  }

  async logout(actor: Actor): Promise<boolean> {
    await this.terminator.endOne(actor.userId, actor.sessionId, SessionEndReason.LOGOUT, actor.client);
    return true;
  }

  /** A session the sweeper has not reached yet is shown, and ended, as what it already is. */
  private async settleExpiry(session: Session): Promise<Session> {
    if (session.status !== SessionStatus.ACTIVE) return session;
    const expiry = expiryAt(session, this.clock.now(), this.config.sessionIdleTimeoutMs);
    if (!expiry) return session;
    return (await this.terminator.endOne(session.userId, session.id, expiry)) ?? (await this.sessions.getById(session.id)) ?? session;
  }

  /** Another user's session is reported as missing, not forbidden: its existence is not the caller's business. */
  private async getVisible(actor: Actor, sessionId: string): Promise<Session> {
    const session = await this.sessions.getById(sessionId);
    if (!session || (session.userId !== actor.userId && !isAdmin(actor))) throw notFound('session');
    return session;
  }

  private assertMayActFor(actor: Actor, userId: string): void {
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may act on another user’s sessions.');
  }
}
