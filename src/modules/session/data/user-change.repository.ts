import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows } from '../../../database/typed-query.js';
import type { NewSessionActivity } from '../../activity/domain/session-activity.js';

/** What a change learns about its user as it takes the lock. */
export interface LockedUser {
  readonly version: number;
  readonly disabledAt: Date | null;
}

/** A real-time event as the outbox keeps it: its version, its type and the message devices receive. */
export interface OutboxEntry {
  readonly version: number;
  readonly type: string;
  readonly payload: object;
}

/** What a change leaves behind beside its own writes, written in one statement before its commit. */
export interface ChangeRecord {
  readonly userId: string;
  /** The user's last event version after the change; undefined when it took none. */
  readonly version: number | undefined;
  readonly activity: readonly NewSessionActivity[];
  readonly outbox: readonly OutboxEntry[];
  readonly now: Date;
}

/**
 * The user's event version, the activity entries and the outbox rows in one round trip. The
 * entries go in as one JSON array in their order, so their seq keeps the order they happened in.
 */
const RECORD_SQL = `WITH version AS (
     UPDATE users SET event_version = $2 WHERE id = $1 AND $2::integer IS NOT NULL),
   activity AS (
     INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
     SELECT gen_random_uuid(), $1, e.session_id, e.type, e.occurred_at, e.ip_address, e.user_agent, e.details
       FROM ROWS FROM (jsonb_to_recordset($3::jsonb)
              AS (session_id uuid, type varchar, occurred_at timestamptz, ip_address text, user_agent text, details jsonb))
            WITH ORDINALITY AS e(session_id, type, occurred_at, ip_address, user_agent, details, position)
      ORDER BY e.position),
   outbox AS (
     INSERT INTO session_outbox (user_id, version, type, payload, created_at)
     SELECT $1, o.version, o.type, o.payload, $4 FROM json_to_recordset($5::json) AS o(version integer, type varchar, payload json))
   SELECT 1 AS recorded`;

/**
 * The data side of a UserChange: the user's row lock that orders every change to a user's
 * sessions, devices and alerts, and the record each change leaves in its own transaction.
 */
@Injectable()
export class UserChangeRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /**
   * Takes the user's row lock, first in every change (one lock order everywhere: no deadlocks,
   * and logins of one user serialised so the session limit holds), and answers the user's last
   * event version and whether an administrator disabled the account; undefined when there is no
   * such user.
   */
  async lock(tx: EntityManager, userId: string): Promise<LockedUser | undefined> {
    const rows = await queryRows<LockedUser>(
      tx,
      `SELECT event_version AS "version", disabled_at AS "disabledAt" FROM users WHERE id = $1 FOR NO KEY UPDATE`,
      [userId],
    );
    return rows[0];
  }

  /** RECORD_SQL's round trip, writing nothing. */
  async rehearseRecord(tx: EntityManager): Promise<void> {
    await queryRows(tx, RECORD_SQL, [randomUUID(), null, '[]', new Date(), '[]']);
  }

  async record(tx: EntityManager, record: ChangeRecord): Promise<void> {
    if (record.version === undefined && record.activity.length === 0 && record.outbox.length === 0) return;
    const activity = record.activity.map((entry) => ({
      session_id: entry.sessionId,
      type: entry.type,
      occurred_at: entry.occurredAt,
      ip_address: entry.ipAddress,
      user_agent: entry.userAgent,
      details: entry.details,
    }));
    await queryRows(tx, RECORD_SQL, [record.userId, record.version ?? null, JSON.stringify(activity), record.now, JSON.stringify(record.outbox)]);
  }
}
