import { EventEmitter } from 'node:events';
import { PubSub } from 'graphql-subscriptions';
import { EventBus, type BusHealth } from './event-bus.js';

/** A user may keep many devices subscribed, each one a listener on the same channel: no cap. */
function uncappedEmitter(): EventEmitter {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return emitter;
}

/** One process: graphql-subscriptions' in-memory PubSub. */
export class LocalEventBus extends EventBus {
  private readonly pubsub = new PubSub<Record<string, object>>({ eventEmitter: uncappedEmitter() });

  publish(channel: string, payload: object): void {
    void this.pubsub.publish(channel, payload);
  }

  publishConfirmed(channel: string, payload: object): Promise<void> {
    return this.pubsub.publish(channel, payload);
  }

  async subscribe<T>(channel: string, handler: (payload: T) => void): Promise<() => void> {
    const id = await this.pubsub.subscribe(channel, (payload) => handler(payload as T));
    return () => this.pubsub.unsubscribe(id);
  }

  iterate<T>(channel: string): AsyncIterableIterator<T> {
    return this.pubsub.asyncIterableIterator(channel) as unknown as AsyncIterableIterator<T>;
  }

  health(): BusHealth {
    return 'in-process';
  }
}
