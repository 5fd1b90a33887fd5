import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { queryUpdateOrDelete } from '../../../database/typed-query.js';

interface ReservedVersionRow {
  readonly version: number;
}

@Injectable()
export class SessionEventVersionRepository {
  /**
   * Every transaction that changes a user's sessions, devices or alerts takes this lock first,
   * then session rows: one lock order everywhere (no deadlocks), logins of one user serialised
   * (the session limit holds), and the user's event versions assigned in commit order.
   */
  async lockUser(tx: EntityManager, userId: string): Promise<void> {
    await tx.query(`SELECT id FROM users WHERE id = $1 FOR NO KEY UPDATE`, [userId]);
  }

  /**
   * Reserves `count` consecutive versions of the user's event counter and returns the first.
   * It runs in the transaction of the change itself, so versions follow commit order and the
   * row lock it takes orders concurrent changes of one user.
   */
  async reserve(tx: EntityManager, userId: string, count: number): Promise<number> {
    const { rows } = await queryUpdateOrDelete<ReservedVersionRow>(
      tx,
      `UPDATE users SET event_version = event_version + $2 WHERE id = $1 RETURNING event_version AS "version"`,
      [userId, count],
    );
    const last = rows[0].version;
    return last - count + 1;
  }
}
