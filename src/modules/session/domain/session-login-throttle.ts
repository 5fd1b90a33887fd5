import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError } from '../../../common/domain-error.js';

/** Failed logins from one client IP may be this many times the per-(account, address) limit (DESIGN.md). */
const IP_FAILURE_FACTOR = 10;
const DAY_SECONDS = 24 * 60 * 60;
/**
 * How long an attempt may queue behind checks of the same account or address that are under way.
 * A check is one argon2id verification (tens of milliseconds); a reservation still held after this
 * long belongs to a stuck request or a crashed instance, and the attempt is refused instead.
 */
const MAX_QUEUE_MS = 5_000;
const MAX_POLL_MS = 100;

export interface FailureCount {
  /** What the BRUTE_FORCE alert reports: this address's failures on the account, or the account's for the day. */
  readonly accountFailures: number;
  /** True for exactly the failure that locked the account, for this address or for the day: one alert per burst. */
  readonly accountJustLocked: boolean;
  readonly ipJustLocked: boolean;
}

/**
 * A password check the limits have allowed, holding one point of each. Settle it exactly once:
 * a success gives the points back, a failure keeps them, an abandoned check gives them back.
 */
export interface LoginAttempt {
  succeeded(): Promise<void>;
  failed(): Promise<FailureCount>;
  /** The check did not happen (the database failed first): it counts as nothing. */
  abandoned(): Promise<void>;
}

/**
 * One ceiling on failed logins. `attempts` holds checks under way as well as failed ones, and is
 * taken before the password is looked at, so that simultaneous guesses cannot all be checked;
 * `failures` holds only checks that failed, and tells a lockout from a queue.
 */
interface FailureLimit {
  readonly points: number;
  readonly attempts: RateLimiterAbstract;
  readonly failures: RateLimiterAbstract;
}

interface Hold {
  readonly limit: FailureLimit;
  readonly key: string;
}

/**
 * Brute-force protection with rate-limiter-flexible, after its login-endpoint pattern: failures
 * per (account, client address) lock that pair for LOGIN_FAILURE_WINDOW, so a guesser elsewhere
 * cannot lock the owner out; failures per account from all addresses meet a daily ceiling, which a
 * guesser with many addresses reaches; failures per address meet ten times the pair limit, which a
 * guesser trying many accounts reaches. Refreshes are limited per address. The counters live in
 * Redis when REDIS_URL is set, so the limits hold across instances, with an in-memory limiter
 * standing in while Redis is unreachable.
 */
@Injectable()
export class SessionLoginThrottle implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionLoginThrottle.name);
  private readonly redis: Redis | undefined;
  private readonly byAccountAndIp: FailureLimit;
  private readonly byAccountDaily: FailureLimit;
  private readonly byIp: FailureLimit;
  private readonly refreshes: RateLimiterAbstract;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    const windowSeconds = Math.ceil(config.loginFailureWindowMs / 1000);
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'tessera-limits' });
      this.redis.on('error', (error: Error) => this.logger.warn(`Redis (rate limits): ${error.message}`));
    }
    const limiter = (keyPrefix: string, points: number, duration: number): RateLimiterAbstract => {
      const memory = new RateLimiterMemory({ keyPrefix, points, duration });
      return this.redis
        ? new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `tessera:${keyPrefix}`, points, duration, insuranceLimiter: memory })
        : memory;
    };
    const failureLimit = (name: string, points: number, duration: number): FailureLimit => ({
      points,
      attempts: limiter(`${name}-attempts`, points, duration),
      failures: limiter(`${name}-failures`, points, duration),
    });
    this.byAccountAndIp = failureLimit('login-account-ip', config.loginMaxFailures, windowSeconds);
    this.byAccountDaily = failureLimit('login-account-day', config.loginAccountDailyMaxFailures, DAY_SECONDS);
    this.byIp = failureLimit('login-ip', config.loginMaxFailures * IP_FAILURE_FACTOR, windowSeconds);
    this.refreshes = limiter('refresh-ip', config.refreshRateLimitPerMinute, 60);
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  /**
   * Before the password is even checked: takes a point of every limit, or refuses with
   * RATE_LIMITED when one is used up by failures, whatever the password. Points held only by
   * checks still under way make the attempt wait for them rather than be refused, so that a
   * person's devices signing in at once are not mistaken for a guesser.
   */
  async beginLogin(account: string, ip: string | null): Promise<LoginAttempt> {
    const holds: Hold[] = [
      // The address is part of the key only; `/` cannot occur in an IP address, so pairs cannot collide.
      { limit: this.byAccountAndIp, key: `${ip ?? 'unknown'}/${account}` },
      { limit: this.byAccountDaily, key: account },
      ...(ip ? [{ limit: this.byIp, key: ip }] : []),
    ];
    const deadline = Date.now() + MAX_QUEUE_MS;
    for (let round = 0; ; round++) {
      const refused = await takeAll(holds);
      if (refused.length === 0) return this.attempt(holds);
      const lockedFor = await lockout(refused);
      if (lockedFor !== undefined) throw rateLimited(lockedFor, 'Too many failed sign-in attempts');
      if (Date.now() >= deadline) throw rateLimited(1000, 'Too many sign-in attempts at once');
      await sleep(Math.min(MAX_POLL_MS, 5 * 2 ** round));
    }
  }

  private attempt(holds: readonly Hold[]): LoginAttempt {
    const [pair, ...others] = holds as [Hold, ...Hold[]];
    const giveBack = () => Promise.all(holds.map(({ limit, key }) => limit.attempts.reward(key, 1)));
    return {
      // The right password from this address ends its run of failures, as the pattern does; the
      // day's and the address's failures stay, the owner's success must not hide a guesser's.
      succeeded: async () => {
        await Promise.all([
          pair.limit.attempts.delete(pair.key),
          pair.limit.failures.delete(pair.key),
          ...others.map(({ limit, key }) => limit.attempts.reward(key, 1)),
        ]).catch((error: Error) => this.logger.warn(`Could not give back a successful login's points: ${error.message}`));
      },
      failed: async () => {
        const counts = await Promise.all(holds.map(({ limit, key }) => limit.failures.penalty(key, 1).then((res) => res.consumedPoints)));
        const [pairFailures, dayFailures, ipFailures] = counts as [number, number, number | undefined];
        const dayJustLocked = dayFailures === this.byAccountDaily.points;
        const ipJustLocked = ipFailures === this.byIp.points;
        if (ipJustLocked) this.logger.warn(`Failed sign-ins from one address reached ${ipFailures}; refusing it for the window`);
        if (dayJustLocked)
          this.logger.warn(`Failed sign-ins on one account reached ${dayFailures} today; refusing it everywhere for the day`);
        return {
          accountFailures: dayJustLocked ? dayFailures : pairFailures,
          accountJustLocked: dayJustLocked || pairFailures === this.byAccountAndIp.points,
          ipJustLocked,
        };
      },
      abandoned: async () => {
        await giveBack().catch((error: Error) => this.logger.warn(`Could not give back an abandoned login's points: ${error.message}`));
      },
    };
  }

  async assertRefreshAllowed(ip: string | null): Promise<void> {
    if (!ip) return;
    try {
      await this.refreshes.consume(ip);
    } catch (result) {
      if (result instanceof RateLimiterRes) throw rateLimited(result.msBeforeNext, 'Too many refreshes from this address');
      throw result;
    }
  }
}

/**
 * Takes one point of each limit at once; when any refuses, gives every point back, so that a
 * refused attempt counts nowhere (a guesser hammering a locked pair must not spend the owner's
 * daily allowance). Answers the refusals.
 */
async function takeAll(holds: readonly Hold[]): Promise<{ hold: Hold; result: RateLimiterRes }[]> {
  const outcomes = await Promise.allSettled(holds.map(({ limit, key }) => limit.attempts.consume(key, 1)));
  const refused = outcomes.flatMap((outcome, i) =>
    outcome.status === 'rejected' && outcome.reason instanceof RateLimiterRes ? [{ hold: holds[i], result: outcome.reason }] : [],
  );
  const failed = outcomes.find(
    (outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected' && !(outcome.reason instanceof RateLimiterRes),
  );
  if (refused.length === 0 && !failed) return [];
  // A consume that answered, even with a refusal, counted its point; one that failed did not.
  await Promise.all(
    holds
      .filter((_, i) => outcomes[i].status === 'fulfilled' || outcomes[i].reason instanceof RateLimiterRes)
      .map(({ limit, key }) => limit.attempts.reward(key, 1)),
  );
  if (failed) throw failed.reason;
  return refused;
}

/** The wait in ms when a refusing limit is used up by failures; undefined when only checks under way fill it. */
async function lockout(refused: readonly { hold: Hold; result: RateLimiterRes }[]): Promise<number | undefined> {
  const waits = await Promise.all(
    refused.map(async ({ hold, result }) => {
      const failures = await hold.limit.failures.get(hold.key);
      return failures && failures.consumedPoints >= hold.limit.points ? Math.max(result.msBeforeNext, failures.msBeforeNext) : undefined;
    }),
  );
  const locked = waits.filter((wait): wait is number => wait !== undefined);
  return locked.length > 0 ? Math.max(...locked) : undefined;
}

function rateLimited(msBeforeNext: number, reason: string): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new DomainError('RATE_LIMITED', `${reason}; try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });
}
