import { randomUUID } from 'node:crypto';
import type { SessionActivityRepository } from '../../src/modules/activity/data/session-activity.repository.js';
import type { AddressHistory, NewSessionActivity, SessionActivityType } from '../../src/modules/activity/domain/session-activity.js';
import type { InMemoryDatabase } from './in-memory-database.js';
import { addressHistory } from './in-memory-session-rotation-repository.js';

const NAME = 'SessionActivityRepository';

export class InMemorySessionActivityRepository implements Pick<SessionActivityRepository, 'append' | 'addressHistory'> {
  constructor(private readonly db: InMemoryDatabase) {}

  /** One autocommitted INSERT per entry, as the real method sends them. */
  async append(entries: readonly NewSessionActivity[]): Promise<void> {
    for (const entry of entries) {
      await this.db.write(`${NAME}.append`, (tables) => {
        const id = randomUUID();
        tables.activity.set(id, { id, ...entry });
      });
    }
  }

  addressHistory(
    userId: string,
    ipAddress: string,
    from: Date,
    until: Date,
    types: readonly SessionActivityType[],
  ): Promise<AddressHistory> {
    return this.db.read(`${NAME}.addressHistory`, (tables) => addressHistory(tables, userId, ipAddress, from, until, types));
  }
}
