import type { EntityManager } from 'typeorm';
import type { Queryable } from '../../src/database/typed-query.js';
import type { SessionActivityRepository } from '../../src/modules/activity/data/session-activity.repository.js';
import type { AddressHistory, SessionActivityType } from '../../src/modules/activity/domain/session-activity.js';
import type { InMemoryDatabase } from './in-memory-database.js';
import { addressHistory } from './in-memory-session-rotation-repository.js';

const NAME = 'SessionActivityRepository';

/**
 * The log's reads the domain services ask for. Entries are written by the change that makes them
 * (InMemoryUserChangeRepository.record, and the rotation's own statement), never here.
 */
export class InMemorySessionActivityRepository implements Pick<
  SessionActivityRepository,
  'addressHistory' | 'createDayPartitions' | 'dropDayPartitionsBefore' | 'deleteUnpartitionedOlderThan'
> {
  constructor(private readonly db: InMemoryDatabase) {}

  /** In the change's transaction `tx`: what the log held before the change's own entries. */
  addressHistory(
    tx: Queryable,
    userId: string,
    ipAddress: string,
    from: Date,
    until: Date,
    types: readonly SessionActivityType[],
  ): Promise<AddressHistory> {
    return this.db.inTransaction(`${NAME}.addressHistory`, tx as EntityManager, (tables) =>
      addressHistory(tables, userId, ipAddress, from, until, types),
    );
  }

  /** One table, no partitions: the log's upkeep has nothing to create or drop. */
  async createDayPartitions(): Promise<number> {
    return 0;
  }

  async dropDayPartitionsBefore(): Promise<string[]> {
    return [];
  }

  async deleteUnpartitionedOlderThan(cutoff: Date): Promise<number> {
    let deleted = 0;
    this.db.seed((tables) => {
      for (const [id, entry] of tables.activity) {
        if (entry.occurredAt < cutoff) {
          tables.activity.delete(id);
          deleted += 1;
        }
      }
    });
    return deleted;
  }
}
