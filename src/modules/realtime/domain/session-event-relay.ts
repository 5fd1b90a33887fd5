import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { Clock } from '../../../common/clock.js';
import { DomainEvents } from '../../../events/domain-events.js';
import { EventBus, userEventsChannel } from '../../../events/event-bus.js';
import { SessionMetrics } from '../../../metrics/session-metrics.js';
import { SessionOutboxRepository, type OutboxUpkeep } from '../data/session-outbox.repository.js';

/** Rows claimed per transaction. */
const BATCH_SIZE = 200;
/** Between passes while commits keep coming. */
const BUSY_PAUSE_MS = 5;

/**
 * Sends committed outbox rows to the bus, each user's in version order, and marks them sent once
 * the bus has taken them. Every instance runs one: it wakes as soon as a change on this instance
 * commits, and polls for the rest (changes on an instance that died before relaying, rows Redis
 * refused). Two relays never hold one row (SKIP LOCKED); a row sent whose mark was lost is sent
 * again, and subscribers drop what they already have by version: at least once, in order per user.
 */
@Injectable()
export class SessionEventRelay implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SessionEventRelay.name);
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  /** The poll's read in flight: shutdown waits for it, so no query outlives the pool. */
  private polling: Promise<void> | undefined;
  private wokenWhileDraining = false;
  private stopped = false;
  /** Test hook: a relay held still leaves rows to another instance's relay, as a crashed one would. */
  private held = false;
  private lastPrune = 0;
  private lastFailureLog = 0;

  constructor(
    private readonly outbox: SessionOutboxRepository,
    private readonly bus: EventBus,
    private readonly domainEvents: DomainEvents,
    private readonly clock: Clock,
    private readonly metrics: SessionMetrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // The days' partitions exist before the first change is written, as the activity log's do.
    this.lastPrune = this.clock.now().getTime();
    await this.maintain();
    this.domainEvents.subscribe((event) => {
      if ('version' in event) this.wake();
    });
    this.timer = setInterval(() => this.poll(), this.config.outboxPollIntervalMs);
    this.timer.unref();
    this.wake();
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await Promise.all([this.draining, this.polling]);
  }

  hold(held: boolean): void {
    this.held = held;
    if (!held) this.wake();
  }

  /** Resolves once everything committed so far has been relayed, as far as the bus would take it. */
  async flush(): Promise<void> {
    this.wake();
    while (this.draining) await this.draining;
  }

  /** The fallback: one light read while nothing waits, a relay pass when something does. */
  private poll(): void {
    if (this.stopped || this.held || this.draining || this.polling) return;
    this.polling = this.outbox
      .hasUnsent()
      .then(async (waiting) => {
        if (waiting) this.wake();
        else await this.pruneNowAndThen();
      })
      .catch((error: unknown) => this.reportFailure(error))
      .finally(() => {
        this.polling = undefined;
      });
  }

  wake(): void {
    if (this.stopped || this.held) return;
    if (this.draining) {
      this.wokenWhileDraining = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        this.wokenWhileDraining = false;
        while (!this.stopped && !this.held && (await this.relayBatch()) === BATCH_SIZE);
        if (!this.wokenWhileDraining || this.stopped || this.held) break;
        // Busy: commits arrived during the pass. Let a few more gather, so that one pass carries
        // several events instead of a transaction per event; an idle relay still goes at once.
        await new Promise((resolve) => setTimeout(resolve, BUSY_PAUSE_MS));
      }
      await this.pruneNowAndThen();
    } catch (error) {
      this.reportFailure(error);
    }
  }

  /** One transaction: claim, publish in order, mark what the bus took. Returns how many rows it claimed. */
  private async relayBatch(): Promise<number> {
    const { claimed, refusal } = await this.outbox.transaction(async (tx) => {
      const claimed = await this.outbox.claim(tx, BATCH_SIZE);
      // A user's rows go only from the first one still waiting, and stop at the first gap: the
      // rest waits for another relay that holds an earlier one.
      const sendable = [];
      const nextOf = new Map<string, number>();
      for (const row of claimed) {
        const next = nextOf.get(row.userId) ?? row.firstUnsent;
        if (row.version !== next) continue;
        nextOf.set(row.userId, next + 1);
        sendable.push(row);
      }
      const results = await Promise.allSettled(
        sendable.map((row) => this.bus.publishConfirmed(userEventsChannel(row.userId), row.payload)),
      );
      // Marked sent: each user's rows up to the first the bus refused.
      const refusedUsers = new Set<string>();
      const sent = sendable.filter((row, index) => {
        if (refusedUsers.has(row.userId)) return false;
        if (results[index].status === 'rejected') {
          refusedUsers.add(row.userId);
          return false;
        }
        return true;
      });
      await this.outbox.markSent(tx, sent, this.clock.now());
      this.metrics.outboxRelayed(sent.length);
      const refusal = results.find((result): result is PromiseRejectedResult => result.status === 'rejected');
      return { claimed: claimed.length, refusal };
    });
    // What the bus took is marked; the rest waits for the next poll rather than being retried at once.
    if (refusal) {
      this.reportFailure(refusal.reason);
      return 0;
    }
    return claimed;
  }

  /** Creates the days ahead and retires the sent rows past OUTBOX_RETENTION, at start-up and once per sweep interval. */
  private async pruneNowAndThen(): Promise<void> {
    const now = this.clock.now();
    if (now.getTime() - this.lastPrune < this.config.sessionSweepIntervalMs) return;
    this.lastPrune = now.getTime();
    await this.maintain(now);
  }

  maintain(now: Date = this.clock.now()): Promise<OutboxUpkeep> {
    return this.outbox.maintain(now, new Date(now.getTime() - this.config.outboxRetentionMs));
  }

  private reportFailure(error: unknown): void {
    this.metrics.outboxRelayFailed();
    const now = Date.now();
    if (now - this.lastFailureLog < 10_000) return;
    this.lastFailureLog = now;
    this.logger.warn(`Relaying session events failed, retrying: ${error instanceof Error ? error.message : String(error)}`);
  }
}
