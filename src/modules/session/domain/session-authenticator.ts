import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { unauthenticated } from '../../../common/domain-error.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { sameRoles } from '../../../kernel/role.js';
import { SessionRepository, type SessionAuthState } from '../data/session.repository.js';
import { SessionStatus } from './session.js';
import { sessionEnded } from './session.errors.js';
import { activityWriteInterval, expiryAt } from './session-expiry.policy.js';
import { SessionStateCache } from './session-state-cache.js';
import { SessionTerminator } from './session-terminator.js';

/**
 * The session half of authentication: a valid signature is not enough, the token's session
 * must still be active and not idle (DESIGN.md decision 3). Served from SessionStateCache on
 * the common path; a miss reads the database, and a database that does not answer makes this
 * throw, so the request is refused.
 */
@Injectable()
export class SessionAuthenticator {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly cache: SessionStateCache,
    private readonly terminator: SessionTerminator,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  /**
   * Throws unless the token's session is active; answers the claims with the user's roles as
   * the database has them now (cached like the rest of the state), so a demotion bites before
   * the token expires.
   */
  async assertActive(claims: AccessTokenClaims): Promise<AccessTokenClaims> {
    const now = this.clock.now();
    let state = this.cache.get(claims.sessionId) ?? (await this.load(claims.sessionId));
    // Another instance may have recorded activity the cached copy has not seen: ask the database
    // before ending a session for idleness.
    if (state?.status === SessionStatus.ACTIVE && expiryAt(state, now, this.config.sessionIdleTimeoutMs)) {
      state = await this.load(claims.sessionId);
    }
    if (!state) throw unauthenticated('The access token is not valid.');
    if (state.status !== SessionStatus.ACTIVE) throw sessionEnded(state.status);
    if (state.userId !== claims.userId) throw unauthenticated('The access token is not valid.');

    const expiry = expiryAt(state, now, this.config.sessionIdleTimeoutMs);
    if (expiry) {
      await this.terminator.endOne(claims.userId, claims.sessionId, expiry);
      throw sessionEnded(SessionStatus.EXPIRED);
    }

    const activityIsStale = now.getTime() - state.lastActivityAt.getTime() >= activityWriteInterval(this.config.sessionIdleTimeoutMs);
    // The first request made with a successor's access token proves the app received it.
    const commitsGeneration = claims.generation > state.committedGeneration;
    if (activityIsStale || commitsGeneration) {
      await this.sessions.touch(claims.sessionId, now, claims.generation);
      this.cache.update(claims.sessionId, {
        lastActivityAt: now,
        committedGeneration: Math.max(state.committedGeneration, claims.generation),
      });
    }
    return sameRoles(claims.roles, state.roles) ? claims : { ...claims, roles: state.roles };
  }

  /**
   * The states of many sessions, fresh cache entries first and the rest in one read; unlike a
   * request, looking does not count as activity. Open sockets are re-checked this way.
   */
  async currentStates(sessionIds: readonly string[]): Promise<Map<string, SessionAuthState>> {
    const states = new Map<string, SessionAuthState>();
    const missing: string[] = [];
    for (const sessionId of new Set(sessionIds)) {
      const cached = this.cache.get(sessionId);
      if (cached) states.set(sessionId, cached);
      else missing.push(sessionId);
    }
    for (const [sessionId, state] of await this.sessions.getAuthStates(missing)) {
      this.cache.remember(sessionId, state);
      states.set(sessionId, this.cache.get(sessionId) ?? state);
    }
    return states;
  }

  private async load(sessionId: string): Promise<SessionAuthState | undefined> {
    const state = await this.sessions.getAuthState(sessionId);
    if (state) this.cache.remember(sessionId, state);
    return this.cache.get(sessionId) ?? state;
  }
}
