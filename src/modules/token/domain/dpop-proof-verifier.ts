import { createHash } from 'node:crypto';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { checkDpopProof, invalidDpopProof, type DpopProofClaims, type DpopRequest } from './dpop-proof.js';
import { DpopNonces } from './dpop-nonces.js';

/** A checked proof: the key that made it (its RFC 7638 thumbprint), and whether it carried a fresh server nonce. */
export interface DpopKeyProof {
  readonly thumbprint: string;
  readonly nonceFresh: boolean;
}

/**
 * RFC 9449 proof checking in full: the proof itself (checkDpopProof), the server nonce where the
 * endpoint asks for one (those that hand out tokens, and step-up with the device key), and replay:
 * a proof's `jti` is accepted once within the proof window, across instances through Redis when
 * REDIS_URL is set (an in-memory record stands in while Redis is away), in this process otherwise.
 */
@Injectable()
export class DpopProofVerifier implements OnApplicationShutdown {
  private readonly logger = new Logger(DpopProofVerifier.name);
  private readonly redis: Redis | undefined;
  private readonly seen: RateLimiterAbstract;

  constructor(
    private readonly nonces: DpopNonces,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    // A proof is accepted up to the window after its iat, and its iat up to the window ahead of now.
    const duration = Math.ceil((2 * config.dpopProofWindowMs) / 1000);
    const memory = new RateLimiterMemory({ keyPrefix: 'dpop-jti', points: 1, duration });
    if (config.redisUrl) {
      this.redis = new Redis(config.redisUrl, { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectionName: 'tessera-dpop' });
      this.redis.on('error', (error: Error) => this.logger.warn(`Redis (DPoP replay): ${error.message}`));
      this.seen = new RateLimiterRedis({
        storeClient: this.redis,
        keyPrefix: 'tessera:dpop-jti',
        points: 1,
        duration,
        insuranceLimiter: memory,
      });
    } else {
      this.seen = memory;
    }
  }

  onApplicationShutdown(): void {
    this.redis?.disconnect();
  }

  /** The nonce a client should put in its next proof: sent as the DPoP-Nonce header. */
  currentNonce(): string {
    return this.nonces.current();
  }

  /** Checks the proof and takes its `jti`; whether it carried a fresh nonce is the caller's to require (requireFreshNonce). */
  async verify(proof: string, request: DpopRequest): Promise<DpopKeyProof> {
    return this.accept(await checkDpopProof(proof, request, this.clock.now(), this.config.dpopProofWindowMs));
  }

  /**
   * For an endpoint reached by more than one URL (a socket's ws: and http: forms): the proof must
   * name one of them. Its `jti` is taken once, whichever matched.
   */
  async verifyAgainstAny(proof: string, urls: readonly string[], request: Omit<DpopRequest, 'url'>): Promise<DpopKeyProof> {
    const now = this.clock.now();
    let refusal: unknown;
    for (const url of urls) {
      let claims: DpopProofClaims;
      try {
        claims = await checkDpopProof(proof, { ...request, url }, now, this.config.dpopProofWindowMs);
      } catch (error) {
        refusal = error;
        continue;
      }
      return this.accept(claims);
    }
    throw refusal;
  }

  /** For endpoints that hand out tokens or take the proof as step-up: RFC 9449 §8's use_dpop_nonce, with the nonce to use. */
  requireFreshNonce(proof: DpopKeyProof): void {
    if (!proof.nonceFresh)
      throw invalidDpopProof('Make the DPoP proof again with the nonce given (use_dpop_nonce).', this.nonces.current());
  }

  /** A proof that passed its own checks: its `jti` taken, and whether it carried a fresh nonce. */
  private async accept(claims: DpopProofClaims): Promise<DpopKeyProof> {
    if (!(await this.firstUse(claims.thumbprint, claims.jti))) throw invalidDpopProof('This DPoP proof was used before (jti).');
    return { thumbprint: claims.thumbprint, nonceFresh: claims.nonce !== undefined && this.nonces.isFresh(claims.nonce) };
  }

  private async firstUse(thumbprint: string, jti: string): Promise<boolean> {
    const key = createHash('sha256').update(`${thumbprint}:${jti}`).digest('base64url');
    try {
      await this.seen.consume(key);
      return true;
    } catch (error) {
      if (error instanceof RateLimiterRes) return false;
      throw error;
    }
  }
}
