import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';

@Injectable()
export class SessionEventVersionRepository {
  /**
   * Reserves `count` consecutive versions of the user's event counter and returns the first.
   * It runs in the transaction of the change itself, so versions follow commit order and the
   * row lock it takes orders concurrent changes of one user.
   */
  async reserve(tx: EntityManager, userId: string, count: number): Promise<number> {
    const rows = await tx.query(`UPDATE users SET event_version = event_version + $2 WHERE id = $1 RETURNING event_version AS "version"`, [
      userId,
      count,
    ]);
    const last: number = rows[0][0].version;
    return last - count + 1;
  }
}
