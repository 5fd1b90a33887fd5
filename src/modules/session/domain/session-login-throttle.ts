import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError } from '../../../common/domain-error.js';

/** Failed logins from one client IP may be this many times the per-account limit (DESIGN.md). */
const IP_FAILURE_FACTOR = 10;

export interface FailureCount {
  /** Failed logins of this account within the window, this one included. */
  readonly accountFailures: number;
  /** True for exactly the failure that reached the limit: one alert per burst. */
  readonly accountJustLocked: boolean;
  readonly ipJustLocked: boolean;
}

/**
 * Brute-force protection with rate-limiter-flexible: failed logins counted per account and per
 * client IP within LOGIN_FAILURE_WINDOW, and refreshes per IP. The counters live in Redis when
 * REDIS_URL is set, so the limits hold across instances, with an in-memory limiter standing in
 * while Redis is unreachable.
 */
@Injectable()
export class SessionLoginThrottle implements OnApplicationShutdown {
  private readonly logger = new Logger(SessionLoginThrottle.name);
  private readonly redis: Redis | undefined;
  private readonly accountFailures: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;
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
    this.accountFailures = limiter('login-account', config.loginMaxFailures, windowSeconds);
    this.ipFailures = limiter('login-ip', config.loginMaxFailures * IP_FAILURE_FACTOR, windowSeconds);
    this.refreshes = limiter('refresh-ip', config.refreshRateLimitPerMinute, 60);
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  /** Before the password is even checked: a locked account is refused whatever the password. */
  async assertLoginAllowed(account: string, ip: string | null): Promise<void> {
    const [byAccount, byIp] = await Promise.all([this.accountFailures.get(account), ip ? this.ipFailures.get(ip) : null]);
    const locked = [
      byAccount && byAccount.consumedPoints >= this.config.loginMaxFailures ? byAccount : undefined,
      byIp && byIp.consumedPoints >= this.config.loginMaxFailures * IP_FAILURE_FACTOR ? byIp : undefined,
    ].filter((result): result is RateLimiterRes => result !== undefined);
    if (locked.length > 0) throw rateLimited(Math.max(...locked.map((result) => result.msBeforeNext)), 'Too many failed sign-in attempts');
  }

  async recordFailure(account: string, ip: string | null): Promise<FailureCount> {
    const [byAccount, byIp] = await Promise.all([consumed(this.accountFailures, account), ip ? consumed(this.ipFailures, ip) : undefined]);
    const ipJustLocked = byIp === this.config.loginMaxFailures * IP_FAILURE_FACTOR;
    if (ipJustLocked) this.logger.warn(`Failed sign-ins from one address reached ${byIp}; refusing it for the window`);
    return { accountFailures: byAccount, accountJustLocked: byAccount === this.config.loginMaxFailures, ipJustLocked };
  }

  /** A successful login clears the account's count; the IP's stays. */
  async recordSuccess(account: string): Promise<void> {
    await this.accountFailures.delete(account).catch(() => undefined);
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

/** Points consumed after this one; a limiter past its points still counts (it rejects with the count). */
async function consumed(limiter: RateLimiterAbstract, key: string): Promise<number> {
  try {
    return (await limiter.consume(key)).consumedPoints;
  } catch (result) {
    if (result instanceof RateLimiterRes) return result.consumedPoints;
    throw result;
  }
}

function rateLimited(msBeforeNext: number, reason: string): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new DomainError('RATE_LIMITED', `${reason}; try again in ${retryAfterSeconds} seconds.`, { retryAfterSeconds });
}
