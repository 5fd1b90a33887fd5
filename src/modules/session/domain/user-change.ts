import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../../common/clock.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { activityFor } from '../../activity/domain/session-activity.mapping.js';
import { UserChangeRepository, type OutboxEntry } from '../data/user-change.repository.js';

/**
 * Joins a change in its transaction, once the change's own work is done. `rules` run first and
 * may emit events of their own (an alert raised by a login); `records` then see every event.
 */
export interface ChangeWatcher {
  readonly stage: 'rules' | 'records';
  inTransaction(change: ChangeScope, events: readonly DomainEvent[]): Promise<void>;
  /**
   * True when inTransaction would add nothing to a change of this one event, written by its own
   * statement (emitWritten). A watcher that cannot tell leaves it out, and such a change keeps its
   * transaction.
   */
  addsNothingTo?(written: DomainEvent): boolean;
}

/** The transaction of one change to one user's sessions, devices or alerts, holding the user's lock. */
export class ChangeScope {
  readonly events: DomainEvent[] = [];
  readonly outbox: OutboxEntry[] = [];
  private readonly written = new Set<DomainEvent>();
  private lastVersion: number;

  constructor(
    readonly tx: EntityManager,
    readonly userId: string,
    readonly now: Date,
    readonly client: ClientInfo | undefined,
    private readonly versionAtStart: number,
    /** Read under the lock: a login or a reauthentication checks it here, where a disable cannot slip in between. */
    readonly userDisabledAt: Date | null = null,
  ) {
    this.lastVersion = versionAtStart;
  }

  /** The user's next event version: one per change a device sees, in commit order. */
  nextVersion(): number {
    this.lastVersion += 1;
    return this.lastVersion;
  }

  emit(event: DomainEvent): void {
    this.events.push(event);
  }

  /** An event whose activity entry and outbox row the caller's own statement has written (the rotation). */
  emitWritten(event: DomainEvent): void {
    this.events.push(event);
    this.written.add(event);
  }

  isWritten(event: DomainEvent): boolean {
    return this.written.has(event);
  }

  /** For the outbox's watcher: the real-time message of a versioned event. */
  addToOutbox(entry: OutboxEntry): void {
    this.outbox.push(entry);
  }

  get versionTaken(): number | undefined {
    return this.lastVersion === this.versionAtStart ? undefined : this.lastVersion;
  }
}

/**
 * One change to a user's sessions, devices or alerts, done one way: lock the user, do the work,
 * let the rules raise what follows from it (alerts), write every activity entry and every
 * real-time event's outbox row in the same transaction, commit, then tell this process's
 * subscribers. Nothing acknowledged to a client can lose its record: both commit together.
 */
@Injectable()
export class UserChange {
  private readonly watchers: ChangeWatcher[] = [];

  constructor(
    private readonly repository: UserChangeRepository,
    private readonly events: DomainEvents,
    private readonly clock: Clock,
  ) {}

  watch(watcher: ChangeWatcher): void {
    this.watchers.push(watcher);
  }

  /** Runs `work` as one change of the user's; throws when the user does not exist. */
  async run<T>(userId: string, client: ClientInfo | undefined, work: (change: ChangeScope) => Promise<T>): Promise<T> {
    const { result, events } = await this.repository.transaction(async (tx) => {
      const locked = await this.repository.lock(tx, userId);
      if (!locked) throw new Error(`No user ${userId} to change`);
      const change = new ChangeScope(tx, userId, this.clock.now(), client, locked.version, locked.disabledAt);
      const result = await work(change);
      await this.finish(change);
      return { result, events: change.events };
    });
    this.events.publishAll(events);
    return result;
  }

  /**
   * A change's round trips for no user at all, recording nothing: a refused login for an address
   * with no account takes as long as one for an account's wrong password.
   */
  async rehearse(): Promise<void> {
    await this.repository.transaction(async (tx) => {
      await this.repository.lock(tx, randomUUID());
      await this.repository.rehearseRecord(tx);
    });
  }

  /**
   * For a transaction that already holds the user's lock and knows the user's last version (the
   * refresh, whose statements take both): the same rules and records, in that transaction. The
   * caller hands the returned events to `published` after its commit.
   */
  async within(
    tx: EntityManager,
    at: { userId: string; version: number; now: Date; client?: ClientInfo },
    work: (change: ChangeScope) => void | Promise<void>,
  ): Promise<DomainEvent[]> {
    const change = new ChangeScope(tx, at.userId, at.now, at.client, at.version);
    await work(change);
    await this.finish(change);
    return change.events;
  }

  /**
   * Whether a change of this one event, whose own statement writes its activity entry and its
   * outbox row, leaves nothing else to write: no rule raises anything, no record adds anything.
   * Such a change needs no transaction of its own around it (the refresh's rotation outside one).
   */
  recordsItself(written: DomainEvent): boolean {
    return this.watchers.every((watcher) => watcher.addsNothingTo?.(written) ?? false);
  }

  /** For `within`'s caller, once its transaction has committed: tells this process's subscribers. */
  published(events: readonly DomainEvent[]): void {
    this.events.publishAll(events);
  }

  private async finish(change: ChangeScope): Promise<void> {
    for (const stage of ['rules', 'records'] as const) {
      for (const watcher of this.watchers) {
        if (watcher.stage === stage && change.events.length > 0) await watcher.inTransaction(change, [...change.events]);
      }
    }
    const activity = change.events
      .filter((event) => !change.isWritten(event))
      .flatMap((event) => activityFor({ ...event, client: event.client ?? change.client }, change.now));
    await this.repository.record(change.tx, {
      userId: change.userId,
      version: change.versionTaken,
      activity,
      outbox: change.outbox,
      now: change.now,
    });
  }
}
