import { Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DomainError } from '../../../common/domain-error.js';
import { SessionRepository } from '../data/session.repository.js';
import type { Actor } from './session-grant.js';
import { isRecentProof } from './step-up.policy.js';

export const reauthenticationRequired = (maxAgeMs: number) =>
  new DomainError(
    'REAUTHENTICATION_REQUIRED',
    'This needs a recent proof of who you are: confirm your password (reauthenticate), then try again.',
    { maxAgeSeconds: Math.floor(maxAgeMs / 1000) },
  );

/**
 * Step-up for sensitive operations (trusting or removing a device, ending every session, an
 * administrator's decisions about an account): the caller's session must have proved its user
 * within REAUTHENTICATION_MAX_AGE. Read from the database each time, not from the request's
 * token or a cache: a reauthenticate on another instance counts at once, and these operations
 * are rare enough that the read costs nothing that matters.
 */
@Injectable()
export class SessionStepUp {
  constructor(
    private readonly sessions: SessionRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async assertRecent(actor: Actor): Promise<void> {
    const authenticatedAt = await this.sessions.authenticatedAt(actor.sessionId);
    if (authenticatedAt && isRecentProof(authenticatedAt, this.clock.now(), this.config.reauthenticationMaxAgeMs)) return;
    throw reauthenticationRequired(this.config.reauthenticationMaxAgeMs);
  }
}
