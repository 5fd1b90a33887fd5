import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import type { SessionAlertRepository } from '../../src/modules/alert/data/session-alert.repository.js';
import type { AlertCandidate, SessionAlert } from '../../src/modules/alert/domain/session-alert.js';
import type { AlertRow, InMemoryDatabase } from './in-memory-database.js';

const NAME = 'SessionAlertRepository';

const toAlert = ({ foldKey: _foldKey, ...alert }: AlertRow): SessionAlert => alert;

export class InMemorySessionAlertRepository implements Pick<
  SessionAlertRepository,
  'transaction' | 'findLatest' | 'fold' | 'insert' | 'list' | 'getById' | 'acknowledge'
> {
  constructor(private readonly db: InMemoryDatabase) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  findLatest(tx: EntityManager, userId: string, foldKey: string): Promise<SessionAlert | undefined> {
    return this.db.inTransaction(`${NAME}.findLatest`, tx, (tables) => {
      const [latest] = [...tables.alerts.values()]
        .filter((row) => row.userId === userId && row.foldKey === foldKey)
        .sort((a, b) => b.lastOccurredAt.getTime() - a.lastOccurredAt.getTime());
      return latest && toAlert(latest);
    });
  }

  fold(tx: EntityManager, alertId: string, now: Date): Promise<SessionAlert> {
    return this.db.inTransaction(`${NAME}.fold`, tx, (tables) => {
      const row = tables.alerts.get(alertId);
      if (!row) throw new Error(`fold: no alert ${alertId}`);
      this.db.assertUserLocked(tx, row.userId, `${NAME}.fold`);
      const folded: AlertRow = { ...row, occurrences: row.occurrences + 1, lastOccurredAt: now };
      tables.alerts.set(alertId, folded);
      return toAlert(folded);
    });
  }

  insert(tx: EntityManager, candidate: AlertCandidate, now: Date): Promise<SessionAlert> {
    return this.db.inTransaction(`${NAME}.insert`, tx, (tables) => {
      this.db.assertUserLocked(tx, candidate.userId, `${NAME}.insert`);
      const row: AlertRow = {
        id: randomUUID(),
        userId: candidate.userId,
        sessionId: candidate.sessionId,
        type: candidate.type,
        severity: candidate.severity,
        message: candidate.message,
        details: candidate.details,
        foldKey: candidate.foldKey,
        occurrences: 1,
        createdAt: now,
        lastOccurredAt: now,
        acknowledgedAt: null,
      };
      tables.alerts.set(row.id, row);
      return toAlert(row);
    });
  }

  list(userId: string, unacknowledgedOnly: boolean): Promise<SessionAlert[]> {
    return this.db.read(`${NAME}.list`, (tables) =>
      [...tables.alerts.values()]
        .filter((row) => row.userId === userId && (!unacknowledgedOnly || row.acknowledgedAt === null))
        .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id))
        .slice(0, 500)
        .map(toAlert),
    );
  }

  getById(id: string): Promise<SessionAlert | undefined> {
    return this.db.read(`${NAME}.getById`, (tables) => {
      const row = tables.alerts.get(id);
      return row && toAlert(row);
    });
  }

  /** COALESCE(acknowledged_at, now): the first acknowledgement's time is kept, and `newly` tells whether this was it. */
  acknowledge(tx: EntityManager, id: string, now: Date): Promise<{ alert: SessionAlert; newly: boolean }> {
    return this.db.inTransaction(`${NAME}.acknowledge`, tx, (tables) => {
      const row = tables.alerts.get(id);
      if (!row) throw new Error(`acknowledge: no alert ${id}`);
      this.db.assertUserLocked(tx, row.userId, `${NAME}.acknowledge`);
      const acknowledged: AlertRow = { ...row, acknowledgedAt: row.acknowledgedAt ?? now };
      tables.alerts.set(id, acknowledged);
      return { alert: toAlert(acknowledged), newly: row.acknowledgedAt === null };
    });
  }
}
