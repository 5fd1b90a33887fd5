import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { reviveDates } from '../../../events/event-bus.js';
import { DayPartitions, daysFrom } from '../../../database/day-partitions.js';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { preparedOn, queryRows, queryUpdateOrDelete, type PreparedStatement } from '../../../database/typed-query.js';
import type { SessionEventMessage } from '../domain/session-event.js';

/** A claimed row, with the lowest version of its user still waiting (its own, or one another relay holds). */
interface ClaimedRow {
  readonly userId: string;
  readonly version: number;
  readonly payload: SessionEventMessage;
  readonly firstUnsent: number;
}

interface OutboxRow {
  readonly version: number;
  readonly payload: SessionEventMessage;
}

/**
 * json comes back parsed, with dates as strings: the bus's reviver turns them back into Dates. The
 * row's version is the message's (a refresh's message is written before its version is known).
 */
const revived = (row: { payload: SessionEventMessage; version: number }): SessionEventMessage => ({
  ...(JSON.parse(JSON.stringify(row.payload), reviveDates) as SessionEventMessage),
  version: row.version,
});

/**
 * Locks up to $1 unsent rows that no other relay holds, in each user's version order, each with
 * the lowest version of its user still waiting.
 */
const CLAIM_SQL = `SELECT o.user_id AS "userId", o.version, o.payload,
          (SELECT min(e.version) FROM session_outbox e WHERE e.user_id = o.user_id AND e.sent_at IS NULL) AS "firstUnsent"
     FROM session_outbox o
    WHERE o.sent_at IS NULL
    ORDER BY o.user_id, o.version
    LIMIT $1
      FOR UPDATE SKIP LOCKED`;

/** Marks rows sent at $3: user $1[i]'s version $2[i]. */
const MARK_SENT_SQL = `UPDATE session_outbox o SET sent_at = $3
     FROM unnest($1::uuid[], $2::integer[]) AS sent(user_id, version)
    WHERE o.user_id = sent.user_id AND o.version = sent.version`;

/** Day partitions of the outbox created ahead of today. */
export const OUTBOX_PARTITION_DAYS_AHEAD = 2;

/** What one upkeep pass of the outbox did. */
export interface OutboxUpkeep {
  readonly created: number;
  readonly dropped: string[];
  readonly deleted: number;
}

@Injectable()
export class SessionOutboxRepository {
  private readonly partitions: DayPartitions;
  // Prepared: the relay sends both once per pass, and planning them over the outbox's day
  // partitions costs PostgreSQL more than running them (bench/HISTORY.md).
  private readonly claimStatement: PreparedStatement | string;
  private readonly markStatement: PreparedStatement | string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.partitions = new DayPartitions(db, 'session_outbox', ['users']);
    this.claimStatement = preparedOn(config.database.kind, 'tessera_outbox_claim', CLAIM_SQL);
    this.markStatement = preparedOn(config.database.kind, 'tessera_outbox_mark_sent', MARK_SENT_SQL);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  /** Whether any committed row waits to be sent: the relay's poll, one index probe and no transaction. */
  async hasUnsent(): Promise<boolean> {
    const rows = await queryRows<{ waiting: boolean }>(this.db, `SELECT EXISTS (SELECT 1 FROM session_outbox WHERE sent_at IS NULL) AS waiting`);
    return rows[0].waiting;
  }

  /**
   * Locks up to `limit` unsent rows that no other relay holds (SKIP LOCKED), in each user's
   * version order, and says for each user which version must go first: a row may be sent only
   * when every earlier one of its user has been.
   */
  async claim(tx: EntityManager, limit: number): Promise<ClaimedRow[]> {
    const rows = await queryRows<ClaimedRow>(tx, this.claimStatement, [limit]);
    return rows.map((row) => ({ ...row, payload: revived(row) }));
  }

  async markSent(tx: EntityManager, rows: readonly { userId: string; version: number }[], now: Date): Promise<void> {
    if (rows.length === 0) return;
    await queryUpdateOrDelete(
      tx,
      this.markStatement,
      [rows.map((row) => row.userId), rows.map((row) => row.version), now],
    );
  }

  /** The user's committed events after version `after` (up to `until`), sent or not, oldest first. */
  async listAfter(userId: string, after: number, until: number, limit: number): Promise<SessionEventMessage[]> {
    const rows = await queryRows<OutboxRow>(
      this.db,
      `SELECT version, payload FROM session_outbox WHERE user_id = $1 AND version > $2 AND version <= $3 ORDER BY version LIMIT $4`,
      [userId, after, until, limit],
    );
    return rows.map((row) => revived(row));
  }

  /**
   * The outbox's upkeep: today's partition and the next days' exist before anything is written to
   * them; a day whose rows were all sent before `sentCutoff` (the day ended before it) goes whole,
   * and a day that still holds an unsent row (the bus away for that long) stays until the relay
   * has sent it. Elsewhere (the default partition, the rows from before partitioning) sent rows
   * are deleted one by one.
   */
  async maintain(now: Date, sentCutoff: Date): Promise<OutboxUpkeep> {
    const created = await this.partitions.create(daysFrom(now, OUTBOX_PARTITION_DAYS_AHEAD));
    const dropped = await this.partitions.dropEndedBy(sentCutoff, async (tx, partition) => {
      const [{ waiting }] = await queryRows<{ waiting: boolean }>(
        tx,
        `SELECT EXISTS (SELECT 1 FROM ${partition} WHERE sent_at IS NULL OR sent_at >= $1) AS waiting`,
        [sentCutoff],
      );
      return !waiting;
    });
    const deleted = await this.partitions.deleteOutsideDaysWhere('sent_at < $1', [sentCutoff]);
    return { created, dropped, deleted };
  }
}
