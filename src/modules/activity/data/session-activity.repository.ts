import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { DayPartitions } from '../../../database/day-partitions.js';
import { preparedOn, preparedVariantOn, queryRows, type Queryable } from '../../../database/typed-query.js';
import { REPLAYED_DETAILS, type AddressHistory, type SessionActivityFilter, type SessionActivityType } from '../domain/session-activity.js';

const COLUMNS = `id, seq::text AS seq, user_id AS "userId", session_id AS "sessionId", type, occurred_at AS "occurredAt",
  ip_address AS "ipAddress", user_agent AS "userAgent", details`;

/** Where a page starts: after this entry, in newest-first order. */
export interface ActivityPosition {
  readonly occurredAt: Date;
  readonly seq: string;
}

/**
 * An entry as COLUMNS selects it: a SessionActivity as it is (`type` is only ever written from
 * SessionActivityType), plus its position. seq is a bigint read as text, which a JavaScript
 * number could not hold exactly; a page's cursor carries it back as written.
 */
export interface SessionActivityRow {
  readonly id: string;
  readonly seq: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionActivityType;
  readonly occurredAt: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly details: Record<string, unknown> | null;
}

/** addressHistoryColumns' two EXISTS: the AddressHistory they answer. */
export interface AddressHistoryRow {
  readonly hasEarlierActivity: boolean;
  readonly ipSeenRecently: boolean;
}

/**
 * The NEW_IP_ADDRESS rule's two questions as select-list columns over the given parameters, so
 * that a statement that also writes (the refresh's rotation) can ask them in the same round trip.
 * A replay's entry does not make its address known (REPLAYED_DETAILS).
 */
export const addressHistoryColumns = (p: { userId: string; ipAddress: string; from: string; until: string; types: string }): string => {
  const earlier = (since: string) =>
    `EXISTS (SELECT 1 FROM session_activity a
              WHERE a.user_id = ${p.userId} AND a.occurred_at >= ${since} AND a.occurred_at <= ${p.until} AND a.type = ANY (${p.types}))`;
  const fromAddress = (since: string) =>
    `EXISTS (SELECT 1 FROM session_activity a
              WHERE a.user_id = ${p.userId} AND a.ip_address = ${p.ipAddress} AND a.occurred_at >= ${since} AND a.occurred_at <= ${p.until}
                AND a.type = ANY (${p.types}) AND NOT COALESCE(a.details @> '${JSON.stringify(REPLAYED_DETAILS)}', false))`;
  // The last day first: it answers for nearly every refresh and touches one or two day partitions;
  // only a miss there asks the whole range (OR stops at the first true).
  const lastDay = `(${p.until}::timestamptz - interval '1 day')`;
  return `(${earlier(lastDay)} OR ${earlier("'-infinity'::timestamptz")}) AS "hasEarlierActivity",
   (${fromAddress(lastDay)} OR ${fromAddress(p.from)}) AS "ipSeenRecently"`;
};

const ADDRESS_HISTORY_SQL = `SELECT ${addressHistoryColumns({ userId: '$1', ipAddress: '$2', from: '$3', until: '$4', types: '$5' })}`;

@Injectable()
export class SessionActivityRepository {
  private readonly partitions: DayPartitions;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {
    this.partitions = new DayPartitions(db, 'session_activity', ['users']);
  }

  /** Newest first, ties broken by insertion order, so that paging sees every entry exactly once. */
  async list(filter: SessionActivityFilter, limit: number, after?: ActivityPosition): Promise<SessionActivityRow[]> {
    const conditions = ['user_id = $1'];
    const parameters: unknown[] = [filter.userId];
    const add = (condition: (placeholder: string) => string, value: unknown) => {
      parameters.push(value);
      conditions.push(condition(`$${parameters.length}`));
    };
    if (filter.sessionId) add((p) => `session_id = ${p}`, filter.sessionId);
    if (filter.types?.length) add((p) => `type = ANY (${p})`, [...filter.types]);
    if (filter.since) add((p) => `occurred_at >= ${p}`, filter.since);
    if (after) {
      parameters.push(after.occurredAt, after.seq);
      conditions.push(`(occurred_at, seq) < ($${parameters.length - 1}, $${parameters.length}::bigint)`);
    }
    parameters.push(limit);
    return queryRows<SessionActivityRow>(
      this.db,
      // Named on PostgreSQL, so that each variant is planned once over the day partitions, not per page.
      preparedVariantOn(
        this.config.database.kind,
        'tessera_activity_page',
        // session_activity.seq, the bigint: a bare `seq` would name COLUMNS' text copy, and "9" sorts after "10".
      `SELECT ${COLUMNS} FROM session_activity WHERE ${conditions.join(' AND ')}
        ORDER BY occurred_at DESC, session_activity.seq DESC LIMIT $${parameters.length}`,
      ),
      parameters,
    );
  }

  /** Whether the user was ever active (of `types`) until `until`, and from this address in [from, until]. */
  async addressHistory(
    db: Queryable,
    userId: string,
    ipAddress: string,
    from: Date,
    until: Date,
    types: readonly SessionActivityType[],
  ): Promise<AddressHistory> {
    const rows = await queryRows<AddressHistoryRow>(
      db,
      preparedOn(this.config.database.kind, 'tessera_address_history', ADDRESS_HISTORY_SQL),
      [userId, ipAddress, from, until, [...types]],
    );
    return rows[0];
  }

  /** Creates the day partitions that do not exist yet (DayPartitions.create). */
  createDayPartitions(days: readonly Date[]): Promise<number> {
    return this.partitions.create(days);
  }

  /** Drops the day partitions that end at or before `cutoff`, whole: retention without deleting rows one by one. */
  dropDayPartitionsBefore(cutoff: Date): Promise<string[]> {
    return this.partitions.dropEndedBy(cutoff);
  }

  /** Row by row, only where whole days cannot be dropped: the default partition and the rows from before partitioning. */
  deleteUnpartitionedOlderThan(cutoff: Date): Promise<number> {
    return this.partitions.deleteOutsideDaysWhere('occurred_at < $1', [cutoff]);
  }
}
