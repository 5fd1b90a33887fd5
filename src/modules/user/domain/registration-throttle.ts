import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DomainError } from '../../../common/domain-error.js';

const HOUR_SECONDS = 60 * 60;

/**
 * Registrations per client address and hour (REGISTRATION_RATE_LIMIT). Each one costs an argon2id
 * hash and a row, and each answer says whether an email is taken, so both the CPU and the
 * enumeration are bounded. In Redis when REDIS_URL is set, so that the limit holds across
 * instances, with an in-memory limiter standing in while Redis is unreachable.
 */
@Injectable()
export class RegistrationThrottle implements OnApplicationShutdown {
  private readonly logger = new Logger(RegistrationThrottle.name);
  private readonly redis: Redis | undefined;
  private readonly registrations: RateLimiterAbstract;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    const options = { keyPrefix: 'register-ip', points: config.registrationRateLimitPerHour, duration: HOUR_SECONDS };
    const memory = new RateLimiterMemory(options);
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectionName: 'tessera-registration-limits',
      });
      this.redis.on('error', (error: Error) => this.logger.warn(`Redis (registration limit): ${error.message}`));
    }
    this.registrations = this.redis
      ? new RateLimiterRedis({ ...options, keyPrefix: `tessera:${options.keyPrefix}`, storeClient: this.redis, insuranceLimiter: memory })
      : memory;
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  /** Counts this registration for its address; a request without one shares a single allowance rather than having none. */
  async take(ip: string | null): Promise<void> {
    try {
      await this.registrations.consume(ip ?? 'unknown');
    } catch (result) {
      if (!(result instanceof RateLimiterRes)) throw result;
      const retryAfterSeconds = Math.max(1, Math.ceil(result.msBeforeNext / 1000));
      throw new DomainError('RATE_LIMITED', `Too many registrations from this address; try again in ${retryAfterSeconds} seconds.`, {
        retryAfterSeconds,
      });
    }
  }
}
