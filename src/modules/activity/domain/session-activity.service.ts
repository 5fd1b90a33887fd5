import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DAY_MS, daysFrom } from '../../../database/day-partitions.js';
import { DomainError, forbidden } from '../../../common/domain-error.js';
import type { EntityManager } from 'typeorm';
import { isAdmin, type Actor } from '../../session/domain/session-grant.js';
import { SessionActivityRepository, type ActivityPosition, type SessionActivityRow } from '../data/session-activity.repository.js';
import {
  addressKnownSince,
  ADDRESS_USE_TYPES,
  type AddressHistory,
  type SessionActivity,
  type SessionActivityFilter,
} from './session-activity.js';

export const MAX_PAGE_SIZE = 100;
/** Day partitions of the activity log created ahead of today. */
export const PARTITION_DAYS_AHEAD = 7;

export interface ActivityPage {
  readonly entries: readonly { readonly cursor: string; readonly node: SessionActivity }[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
}

/** The activity log: what happened to whose session, when, from where. */
@Injectable()
export class SessionActivityService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionActivityService.name);
  private pruneTimer: NodeJS.Timeout | undefined;
  private upkeep: Promise<void> | undefined;

  constructor(
    private readonly activity: SessionActivityRepository,
    private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.maintain();
    this.pruneTimer = setInterval(() => {
      if (this.upkeep) return;
      this.upkeep = this.maintain()
        .then(() => undefined)
        .catch((error: Error) => this.logger.warn(`Activity log upkeep failed: ${error.message}`))
        .finally(() => {
          this.upkeep = undefined;
        });
    }, this.config.sessionSweepIntervalMs);
    this.pruneTimer.unref();
  }

  /** Waits for an upkeep pass under way, so that none outlives the connection pool. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.pruneTimer);
    await this.upkeep;
  }

  async page(
    actor: Actor,
    filter: Omit<SessionActivityFilter, 'userId'> & { userId?: string },
    first: number,
    after?: string,
  ): Promise<ActivityPage> {
    const userId = filter.userId ?? actor.userId;
    if (userId !== actor.userId && !isAdmin(actor)) throw forbidden('Only administrators may see another user’s activity.');
    if (!Number.isInteger(first) || first < 1 || first > MAX_PAGE_SIZE) {
      throw new DomainError('BAD_USER_INPUT', `first must be between 1 and ${MAX_PAGE_SIZE}.`, { fields: ['first'] });
    }
    const rows = await this.newestFirst({ ...filter, userId }, first + 1, after === undefined ? undefined : decodeCursor(after));
    const page = rows.slice(0, first);
    const entries = page.map(({ seq: _seq, ...node }, index) => ({ cursor: encodeCursor(page[index]), node }));
    return { entries, hasNextPage: rows.length > first, endCursor: entries.at(-1)?.cursor ?? null };
  }

  /**
   * Each day of the log is a partition of its own, and a page over all of them descends every
   * day's index. The day before the cursor (or before now) holds a whole page for anyone active,
   * so it is asked alone first, and only a page it cannot fill asks the whole range. Both give the
   * same page: whatever lies outside that day is older than everything it returned.
   */
  private async newestFirst(filter: SessionActivityFilter, limit: number, after?: ActivityPosition): Promise<SessionActivityRow[]> {
    const lastDay = new Date((after?.occurredAt ?? this.clock.now()).getTime() - DAY_MS);
    if (!filter.since || filter.since < lastDay) {
      const recent = await this.activity.list({ ...filter, since: lastDay }, limit, after);
      if (recent.length === limit) return recent;
    }
    return this.activity.list(filter, limit, after);
  }

  /**
   * For the NEW_IP_ADDRESS rule, inside the change's transaction: what the log held up to the
   * event's moment. Asked before the change's entries are written (UserChange's order), so an
   * event never counts as its own precedent.
   */
  addressContext(tx: EntityManager, userId: string, ipAddress: string, at: Date): Promise<AddressHistory> {
    return this.activity.addressHistory(tx, userId, ipAddress, addressKnownSince(at), at, ADDRESS_USE_TYPES);
  }

  /**
   * The log's upkeep, run at start-up and on every sweep: the partitions of today and the next
   * PARTITION_DAYS_AHEAD days exist before anything is written to them, and entries past
   * ACTIVITY_RETENTION go, a whole day at a time (so an entry may outlive retention by up to a day).
   */
  async maintain(): Promise<{ created: number; dropped: string[]; deleted: number }> {
    const now = this.clock.now();
    const created = await this.activity.createDayPartitions(daysFrom(now, PARTITION_DAYS_AHEAD));
    const cutoff = new Date(now.getTime() - this.config.activityRetentionMs);
    const dropped = await this.activity.dropDayPartitionsBefore(cutoff);
    const deleted = await this.activity.deleteUnpartitionedOlderThan(cutoff);
    return { created, dropped, deleted };
  }
}

function encodeCursor(entry: SessionActivityRow): string {
  return Buffer.from(JSON.stringify([entry.occurredAt.toISOString(), entry.seq])).toString('base64url');
}

function decodeCursor(cursor: string): ActivityPosition {
  try {
    const [occurredAt, seq] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(occurredAt);
    if (typeof seq !== 'string' || !/^\d{1,19}$/.test(seq) || Number.isNaN(date.getTime())) throw new Error('bad cursor');
    return { occurredAt: date, seq };
  } catch {
    throw new DomainError('BAD_USER_INPUT', 'after is not a cursor this query returned.', { fields: ['after'] });
  }
}
