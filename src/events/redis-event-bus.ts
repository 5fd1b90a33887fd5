import { randomUUID } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import { Redis } from 'ioredis';
import { LocalEventBus } from './local-event-bus.js';
import { reviveDates, type BusHealth } from './event-bus.js';

const REDIS_CHANNEL = 'tessera:events';

interface Envelope {
  readonly origin: string;
  readonly channel: string;
  readonly payload: object;
}

/**
 * Several instances: every message is delivered to this instance's subscribers at once, and
 * sent through one Redis channel to the other instances, which deliver it to theirs. While
 * Redis is away, local delivery goes on, publishing to Redis fails fast (no offline queue to
 * fill), and ioredis reconnects and resubscribes by itself.
 */
export class RedisEventBus extends LocalEventBus {
  private readonly logger = new Logger(RedisEventBus.name);
  private readonly instanceId = randomUUID();
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly redis: RedisPubSub;

  private constructor(url: string) {
    super();
    const retryStrategy = (attempt: number) => Math.min(attempt * 200, 2_000);
    this.publisher = new Redis(url, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      retryStrategy,
      connectionName: 'tessera-publisher',
    });
    this.subscriber = new Redis(url, { maxRetriesPerRequest: null, retryStrategy, connectionName: 'tessera-subscriber' });
    for (const [name, client] of [
      ['publisher', this.publisher],
      ['subscriber', this.subscriber],
    ] as const) {
      client.on('error', (error: Error) => this.logger.warn(`Redis ${name}: ${error.message}`));
    }
    this.redis = new RedisPubSub({ publisher: this.publisher, subscriber: this.subscriber, reviver: reviveDates });
  }

  /**
   * Waits a moment for the subscription, but starts without Redis rather than not at all:
   * the subscription is made as soon as Redis answers.
   */
  static async connect(url: string, waitMs = 3_000): Promise<RedisEventBus> {
    const bus = new RedisEventBus(url);
    const subscribed = bus.redis.subscribe(REDIS_CHANNEL, (envelope: Envelope) => bus.receive(envelope));
    await Promise.race([subscribed, new Promise((resolve) => setTimeout(resolve, waitMs).unref())]);
    return bus;
  }

  private receive(envelope: Envelope): void {
    if (envelope.origin !== this.instanceId) super.publish(envelope.channel, envelope.payload);
  }

  override publish(channel: string, payload: object): void {
    super.publish(channel, payload);
    const envelope: Envelope = { origin: this.instanceId, channel, payload };
    this.redis.publish(REDIS_CHANNEL, envelope).catch((error: Error) => {
      this.logger.warn(`Could not publish to Redis, other instances miss a ${channel} message: ${error.message}`);
    });
  }

  /** Delivered here at once; rejects when Redis did not take it for the other instances. */
  override async publishConfirmed(channel: string, payload: object): Promise<void> {
    super.publish(channel, payload);
    const envelope: Envelope = { origin: this.instanceId, channel, payload };
    await this.redis.publish(REDIS_CHANNEL, envelope);
  }

  override health(): BusHealth {
    return this.publisher.status === 'ready' && this.subscriber.status === 'ready' ? 'up' : 'down';
  }

  /** QUIT when Redis is there; when it is not, stop reconnecting rather than wait for it. */
  async close(): Promise<void> {
    if (this.health() === 'up') {
      await this.redis.close().catch(() => undefined);
    }
    this.publisher.disconnect();
    this.subscriber.disconnect();
  }
}
