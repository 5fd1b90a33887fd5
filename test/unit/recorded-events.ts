import type { DomainEvent, DomainEvents } from '../../src/events/domain-events.js';

/** What was published on DomainEvents, in order: the only way the rest of the system hears of a change. */
export class RecordedEvents {
  readonly all: DomainEvent[] = [];

  constructor(events: DomainEvents) {
    events.subscribe((event) => {
      this.all.push(event);
    });
  }

  get types(): string[] {
    return this.all.map((event) => event.type);
  }

  of<T extends DomainEvent['type']>(type: T): Extract<DomainEvent, { type: T }>[] {
    return this.all.filter((event): event is Extract<DomainEvent, { type: T }> => event.type === type);
  }
}
