import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, queryUpdateOrDelete } from '../../../database/typed-query.js';
import type { AlertCandidate, AlertSeverity, SessionAlert, SessionAlertType } from '../domain/session-alert.js';

const COLUMNS = `id, user_id AS "userId", session_id AS "sessionId", type, severity, message, details, occurrences,
  created_at AS "createdAt", last_occurred_at AS "lastOccurredAt", acknowledged_at AS "acknowledgedAt"`;

/**
 * An alert as COLUMNS selects it, which is the SessionAlert itself: `type` and `severity` are only
 * ever written from their enums, and `details` (jsonb) comes back parsed.
 */
interface SessionAlertRow {
  readonly id: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionAlertType;
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly details: Record<string, unknown> | null;
  readonly occurrences: number;
  readonly createdAt: Date;
  readonly lastOccurredAt: Date;
  readonly acknowledgedAt: Date | null;
}

@Injectable()
export class SessionAlertRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** The latest alert of this cause, if any. */
  async findLatest(tx: EntityManager, userId: string, foldKey: string): Promise<SessionAlert | undefined> {
    const rows = await queryRows<SessionAlertRow>(
      tx,
      `SELECT ${COLUMNS} FROM session_alerts WHERE user_id = $1 AND fold_key = $2 ORDER BY last_occurred_at DESC LIMIT 1`,
      [userId, foldKey],
    );
    return rows[0];
  }

  async fold(tx: EntityManager, alertId: string, now: Date): Promise<SessionAlert> {
    const { rows } = await queryUpdateOrDelete<SessionAlertRow>(
      tx,
      `UPDATE session_alerts SET occurrences = occurrences + 1, last_occurred_at = $2 WHERE id = $1 RETURNING ${COLUMNS}`,
      [alertId, now],
    );
    return rows[0];
  }

  async insert(tx: EntityManager, candidate: AlertCandidate, now: Date): Promise<SessionAlert> {
    const rows = await queryRows<SessionAlertRow>(
      tx,
      `INSERT INTO session_alerts (id, user_id, session_id, type, severity, message, details, fold_key, created_at, last_occurred_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
       RETURNING ${COLUMNS}`,
      [randomUUID(), candidate.userId, candidate.sessionId, candidate.type, candidate.severity, candidate.message, JSON.stringify(candidate.details), candidate.foldKey, now],
    );
    return rows[0];
  }

  list(userId: string, unacknowledgedOnly: boolean): Promise<SessionAlert[]> {
    return queryRows<SessionAlertRow>(
      this.db,
      `SELECT ${COLUMNS} FROM session_alerts
        WHERE user_id = $1 AND ($2 = false OR acknowledged_at IS NULL)
        ORDER BY created_at DESC, id DESC LIMIT 500`,
      [userId, unacknowledgedOnly],
    );
  }

  async getById(id: string): Promise<SessionAlert | undefined> {
    const rows = await queryRows<SessionAlertRow>(this.db, `SELECT ${COLUMNS} FROM session_alerts WHERE id = $1`, [id]);
    return rows[0];
  }

  /** Idempotent: the first acknowledgement's time is kept, and `newly` tells whether this was it. */
  async acknowledge(tx: EntityManager, id: string, now: Date): Promise<{ alert: SessionAlert; newly: boolean }> {
    const { rows } = await queryUpdateOrDelete<SessionAlertRow & { readonly newly: boolean }>(
      tx,
      `WITH previous AS (SELECT acknowledged_at FROM session_alerts WHERE id = $1)
       UPDATE session_alerts SET acknowledged_at = COALESCE(acknowledged_at, $2) WHERE id = $1
       RETURNING ${COLUMNS}, (SELECT acknowledged_at IS NULL FROM previous) AS newly`,
      [id, now],
    );
    const { newly, ...alert } = rows[0];
    return { alert, newly };
  }
}
