import { Injectable, Logger } from '@nestjs/common';
import type { ClientInfo } from '../kernel/client-info.js';

/**
 * Facts about sessions and devices. Inside a change's transaction, UserChange hands them to the
 * alert rules and writes their activity entries and outbox rows; after the commit they are
 * published here, to this process's subscribers (caches, logs, metrics, the outbox relay).
 *
 * Each feature module declares the events it raises beside the types they carry, and adds them
 * to this interface by declaration merging (`declare module`), so that the bus and the
 * infrastructure listening to it (logs, metrics) know every event without depending on a module.
 *
 * `version` is the user's event counter, reserved in the change's own transaction: each change
 * a user can see (docs/ARCHITECTURE.md, "One unit of work") has exactly one version, one higher than the last.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled by the modules, see above
export interface DomainEventsByModule {}

export type DomainEvent = DomainEventsByModule[keyof DomainEventsByModule] & {
  /** Where the request that caused it came from; absent for the sweeper's work. */
  readonly client?: ClientInfo;
};

export type DomainEventHandler = (event: DomainEvent) => void | Promise<void>;

@Injectable()
export class DomainEvents {
  private readonly logger = new Logger(DomainEvents.name);
  private readonly handlers = new Set<DomainEventHandler>();

  subscribe(handler: DomainEventHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** A failing subscriber is logged and never fails the request that caused the event. */
  publish(event: DomainEvent): void {
    for (const handler of this.handlers) {
      try {
        void Promise.resolve(handler(event)).catch((error: unknown) => this.reportFailure(event, error));
      } catch (error) {
        this.reportFailure(event, error);
      }
    }
  }

  publishAll(events: readonly DomainEvent[]): void {
    for (const event of events) this.publish(event);
  }

  private reportFailure(event: DomainEvent, error: unknown): void {
    this.logger.error(`A ${event.type} subscriber failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}
