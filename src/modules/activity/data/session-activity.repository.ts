import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { preparedOn, preparedVariantOn, queryRows, queryUpdateOrDelete, type Queryable } from '../../../database/typed-query.js';
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
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

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

  /**
   * Creates the day partitions that do not exist yet. A day another instance is creating at the
   * same moment, or one an older partition already covers, is left as it is.
   */
  async createDayPartitions(days: readonly Date[]): Promise<number> {
    const existing = await this.partitionNames();
    let created = 0;
    for (const day of days) {
      const name = dayPartitionName(day);
      if (existing.has(name)) continue;
      const next = new Date(day.getTime() + DAY_MS);
      try {
        await this.db.query(
          `CREATE TABLE IF NOT EXISTS ${name} PARTITION OF session_activity FOR VALUES FROM ('${day.toISOString()}') TO ('${next.toISOString()}')`,
        );
        created += 1;
      } catch (error) {
        if (!isOverlapOrRace(error)) throw error;
      }
    }
    return created;
  }

  /**
   * Drops the day partitions that end at or before `cutoff`, whole: retention without deleting
   * rows one by one. A partition still locked by a writer is left for the next pass rather than
   * waited for.
   */
  async dropDayPartitionsBefore(cutoff: Date): Promise<string[]> {
    const dropped: string[] = [];
    for (const name of await this.partitionNames()) {
      if (!/^session_activity_p[0-9]{8}$/.test(name)) continue;
      const day = dayOfPartition(name);
      if (day.getTime() + DAY_MS > cutoff.getTime()) continue;
      await this.db.transaction(async (tx) => {
        await tx.query(`SET LOCAL lock_timeout = '2s'`);
        await tx.query(`DROP TABLE ${name}`);
      });
      dropped.push(name);
    }
    return dropped.sort();
  }

  /** Row by row, only where whole days cannot be dropped: the default partition and the rows from before partitioning. */
  async deleteUnpartitionedOlderThan(cutoff: Date): Promise<number> {
    const existing = await this.partitionNames();
    let deleted = 0;
    for (const table of ['session_activity_default', 'session_activity_before_partitioning']) {
      if (!existing.has(table)) continue;
      const { affected } = await queryUpdateOrDelete(this.db, `DELETE FROM ${table} WHERE occurred_at < $1`, [cutoff]);
      deleted += affected;
    }
    return deleted;
  }

  /** The partitions session_activity has now, in one read. */
  private async partitionNames(): Promise<Set<string>> {
    const rows = await queryRows<{ name: string }>(
      this.db,
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'session_activity'::regclass`,
    );
    return new Set(rows.map((row) => row.name));
  }
}

const DAY_MS = 24 * 60 * 60_000;

/** session_activity_pYYYYMMDD, the UTC day it holds. */
export const dayPartitionName = (day: Date): string => `session_activity_p${day.toISOString().slice(0, 10).replaceAll('-', '')}`;

const dayOfPartition = (name: string): Date => {
  const digits = name.slice(-8);
  return new Date(`${digits.slice(0, 4)}-${digits.slice(4, 6)}-${digits.slice(6, 8)}T00:00:00Z`);
};

/** 42P07: created meanwhile by another instance; 42P17 / 23514: an existing partition already covers the day. */
function isOverlapOrRace(error: unknown): boolean {
  const code = (error as { code?: unknown; driverError?: { code?: unknown } }).driverError?.code ?? (error as { code?: unknown }).code;
  return code === '42P07' || code === '42P17' || code === '23514';
}
