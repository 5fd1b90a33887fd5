import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { queryRows } from '../../../database/typed-query.js';
import { Role } from '../../../kernel/role.js';
import type { User } from '../domain/user.js';
import { UserEntity } from './user.entity.js';

export interface UserWithPassword {
  readonly user: User;
  readonly passwordHash: string;
}

/** The columns a User is made of: what insertIfEmailFree returns, and part of a UserEntity. */
interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly roles: string[];
  readonly createdAt: Date;
}

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  roles: row.roles.map((role) => role as Role),
  createdAt: row.createdAt,
});

@Injectable()
export class UserRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  async getById(id: string): Promise<User | undefined> {
    const row = await this.db.getRepository(UserEntity).findOneBy({ id });
    return row ? toUser(row) : undefined;
  }

  async getWithPasswordByEmail(email: string): Promise<UserWithPassword | undefined> {
    const row = await this.db.getRepository(UserEntity).findOneBy({ email });
    return row ? { user: toUser(row), passwordHash: row.passwordHash } : undefined;
  }

  /** Returns undefined when the email is taken: the unique constraint decides, not a prior read. */
  async insertIfEmailFree(user: { id: string; email: string; passwordHash: string; roles: Role[] }): Promise<User | undefined> {
    const rows = await queryRows<UserRow>(
      this.db,
      `INSERT INTO users (id, email, password_hash, roles) VALUES ($1, $2, $3, $4)
       ON CONFLICT (email) DO NOTHING
       RETURNING id, email, roles, created_at AS "createdAt"`,
      [user.id, user.email, user.passwordHash, user.roles],
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async grantRole(id: string, role: Role): Promise<void> {
    await this.db.query(`UPDATE users SET roles = array_append(roles, $2) WHERE id = $1 AND NOT ($2 = ANY (roles))`, [
      id,
      role,
    ]);
  }
}
