import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { SessionRotationRepository } from '../data/session-rotation.repository.js';
import { SessionRepository } from '../data/session.repository.js';
import { sweepCutoffs } from './session-expiry.policy.js';
import { SessionTerminator } from './session-terminator.js';
import { replayGraceCutoff } from './token-rotation.policy.js';

/** Users handled per query; a pass goes on until none is left. */
const BATCH_SIZE = 200;
/** Successors deleted per statement, so that no statement holds many sessions' row locks for long. */
const SUCCESSOR_BATCH_SIZE = 1000;

export interface SweepResult {
  readonly ended: number;
  readonly prunedRefreshTokens: number;
  readonly forgottenSuccessors: number;
}

/**
 * Ends sessions that ran out while nobody was using them, so that their devices hear about it
 * and lists stay true, prunes what ended sessions no longer need, and deletes the encrypted
 * successors of live sessions once nothing can replay them: a refresh token is kept readable
 * only while it may have to be handed out again. Every instance runs one; the statements are
 * safe to run concurrently (SKIP LOCKED, conditional updates).
 */
@Injectable()
export class SessionSweeper implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionSweeper.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepResult> | undefined;

  constructor(
    private readonly sessions: SessionRepository,
    private readonly rotations: SessionRotationRepository,
    private readonly terminator: SessionTerminator,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(
      () => void this.sweep().catch((error: unknown) => this.reportFailure(error)),
      this.config.sessionSweepIntervalMs,
    );
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass; a pass already under way is joined rather than doubled. */
  sweep(): Promise<SweepResult> {
    this.running ??= this.sweepOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private async sweepOnce(): Promise<SweepResult> {
    const cutoffs = sweepCutoffs(this.clock.now(), this.config.sessionIdleTimeoutMs);
    let ended = 0;
    const seen = new Set<string>();
    for (;;) {
      const users = (await this.sessions.findUsersWithExpiredSessions(cutoffs.now, cutoffs.idleCutoff, BATCH_SIZE)).filter(
        (userId) => !seen.has(userId),
      );
      for (const userId of users) {
        seen.add(userId);
        ended += (await this.terminator.endExpiredOfUser(userId, this.config.sessionIdleTimeoutMs)).length;
      }
      // A user whose expired sessions another instance holds locked comes back: `seen` stops the loop.
      if (users.length === 0) break;
    }
    const prunedRefreshTokens = await this.sessions.deleteRefreshTokensOfSessionsEndedBefore(cutoffs.pruneEndedBefore);
    const forgottenSuccessors = await this.forgetSpentSuccessors(cutoffs.now);
    if (ended > 0 || prunedRefreshTokens > 0 || forgottenSuccessors > 0) {
      this.logger.log(
        `Swept ${ended} expired sessions, pruned ${prunedRefreshTokens} refresh-token rows, deleted ${forgottenSuccessors} spent successors`,
      );
    }
    return { ended, prunedRefreshTokens, forgottenSuccessors };
  }

  private async forgetSpentSuccessors(now: Date): Promise<number> {
    const rotatedBy = replayGraceCutoff(now, { reuseGraceMs: this.config.refreshReuseGraceMs });
    let forgotten = 0;
    for (;;) {
      const batch = await this.rotations.forgetSpentSuccessors(rotatedBy, SUCCESSOR_BATCH_SIZE);
      forgotten += batch;
      // Short of a full batch: none left but those locked right now, which the next pass sees again.
      if (batch < SUCCESSOR_BATCH_SIZE) return forgotten;
    }
  }

  private reportFailure(error: unknown): void {
    this.logger.warn(`Session sweep failed, will retry: ${error instanceof Error ? error.message : String(error)}`);
  }
}
