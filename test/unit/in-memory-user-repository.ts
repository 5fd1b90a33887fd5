import type { UserRepository, UserWithPassword } from '../../src/modules/user/data/user.repository.js';
import type { User } from '../../src/modules/user/domain/user.js';
import type { InMemoryDatabase, UserRow } from './in-memory-database.js';

const NAME = 'UserRepository';

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  roles: row.roles,
  createdAt: row.createdAt,
  disabledAt: row.disabledAt,
});

export class InMemoryUserRepository implements Pick<UserRepository, 'getById' | 'getWithPasswordByEmail'> {
  constructor(private readonly db: InMemoryDatabase) {}

  getById(id: string): Promise<User | undefined> {
    return this.db.read(`${NAME}.getById`, (tables) => {
      const row = tables.users.get(id);
      return row && toUser(row);
    });
  }

  /** `email` arrives normalised; the column holds normalised addresses. */
  getWithPasswordByEmail(email: string): Promise<UserWithPassword | undefined> {
    return this.db.read(`${NAME}.getWithPasswordByEmail`, (tables) => {
      const row = [...tables.users.values()].find((user) => user.email === email);
      return row && { user: toUser(row), passwordHash: row.passwordHash };
    });
  }
}
