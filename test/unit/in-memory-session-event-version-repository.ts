import type { EntityManager } from 'typeorm';
import type { SessionEventVersionRepository } from '../../src/modules/session/data/session-event-version.repository.js';
import type { InMemoryDatabase } from './in-memory-database.js';

const NAME = 'SessionEventVersionRepository';

export class InMemorySessionEventVersionRepository implements Pick<SessionEventVersionRepository, 'lockUser' | 'reserve'> {
  constructor(private readonly db: InMemoryDatabase) {}

  async lockUser(tx: EntityManager, userId: string): Promise<void> {
    await this.db.inTransaction(`${NAME}.lockUser`, tx, () => this.db.lockUser(tx, userId));
  }

  /** The UPDATE takes the user's row lock too, so a reservation counts as holding it. */
  reserve(tx: EntityManager, userId: string, count: number): Promise<number> {
    return this.db.inTransaction(`${NAME}.reserve`, tx, (tables) => {
      const user = tables.users.get(userId);
      // The real statement returns no row, and reading its version throws.
      if (!user) throw new TypeError(`Cannot read properties of undefined (reading 'version'): no user ${userId}`);
      this.db.lockUser(tx, userId);
      const last = user.eventVersion + count;
      tables.users.set(userId, { ...user, eventVersion: last });
      return last - count + 1;
    });
  }
}
