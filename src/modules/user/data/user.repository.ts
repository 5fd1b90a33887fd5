import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, queryUpdateOrDelete } from '../../../database/typed-query.js';
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
  readonly disabledAt: Date | null;
}

const USER_COLUMNS = `id, email, roles, created_at AS "createdAt", disabled_at AS "disabledAt"`;

const toUser = (row: UserRow): User => ({
  id: row.id,
  email: row.email,
  roles: row.roles.map((role) => role as Role),
  createdAt: row.createdAt,
  disabledAt: row.disabledAt,
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
       RETURNING ${USER_COLUMNS}`,
      [user.id, user.email, user.passwordHash, user.roles],
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  async setPasswordHash(tx: EntityManager, id: string, passwordHash: string): Promise<void> {
    await tx.query(`UPDATE users SET password_hash = $2 WHERE id = $1`, [id, passwordHash]);
  }

  /** `disabledAt` null enables the account; an account already in the asked state keeps its time. */
  async setDisabledAt(tx: EntityManager, id: string, disabledAt: Date | null): Promise<User | undefined> {
    const { rows } = await queryUpdateOrDelete<UserRow>(
      tx,
      `UPDATE users SET disabled_at = CASE WHEN $2::timestamptz IS NULL THEN NULL ELSE COALESCE(disabled_at, $2) END
        WHERE id = $1
        RETURNING ${USER_COLUMNS}`,
      [id, disabledAt],
    );
    return rows[0] ? toUser(rows[0]) : undefined;
  }

  /** The user as changed, and the roles it had: read in the same statement, under the caller's lock. */
  async setRoles(tx: EntityManager, id: string, roles: readonly Role[]): Promise<{ user: User; previousRoles: Role[] } | undefined> {
    const { rows } = await queryUpdateOrDelete<UserRow & { readonly previousRoles: string[] }>(
      tx,
      `WITH previous AS (SELECT roles FROM users WHERE id = $1)
       UPDATE users SET roles = $2 WHERE id = $1
       RETURNING ${USER_COLUMNS}, (SELECT roles FROM previous) AS "previousRoles"`,
      [id, [...roles]],
    );
    const row = rows[0];
    return row ? { user: toUser(row), previousRoles: row.previousRoles.map((role) => role as Role) } : undefined;
  }

  /**
   * Enabled administrators other than `id`. Changes that could leave none serialise on one
   * transaction-scoped advisory lock first, so two administrators demoting each other at the same
   * moment cannot both see the other still standing.
   */
  async countOtherActiveAdmins(tx: EntityManager, id: string): Promise<number> {
    await tx.query(`SELECT pg_advisory_xact_lock(hashtext('tessera.administrators'))`);
    const rows = await queryRows<{ readonly admins: number }>(
      tx,
      `SELECT count(*)::int AS admins FROM users WHERE id <> $1 AND 'ADMIN' = ANY (roles) AND disabled_at IS NULL`,
      [id],
    );
    return rows[0].admins;
  }

  async grantRole(id: string, role: Role): Promise<void> {
    await this.db.query(`UPDATE users SET roles = array_append(roles, $2) WHERE id = $1 AND NOT ($2 = ANY (roles))`, [
      id,
      role,
    ]);
  }
}
