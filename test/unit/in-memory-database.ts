import { AsyncLocalStorage } from 'node:async_hooks';
import type { EntityManager } from 'typeorm';
import type { Role } from '../../src/kernel/role.js';
import type { SessionActivity } from '../../src/modules/activity/domain/session-activity.js';
import type { SessionAlert } from '../../src/modules/alert/domain/session-alert.js';
import type { Device } from '../../src/modules/device/domain/device.js';
import type { Session } from '../../src/modules/session/domain/session.js';

export interface UserRow {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
  readonly passwordHash: string;
  readonly eventVersion: number;
  readonly disabledAt: Date | null;
}

/** A session with the refresh columns SessionRotationRepository reads and writes. */
export interface SessionRow extends Session {
  readonly refreshGeneration: number;
  readonly refreshCommittedGeneration: number;
  readonly refreshRotatedAt: Date | null;
  readonly refreshSuccessorCiphertext: Buffer | null;
  readonly refreshTokenHash: Buffer | null;
  readonly refreshParentHash: Buffer | null;
}

/** A legacy-format token's row (refresh_tokens): written only by tests now, as the old code did. */
export interface RefreshTokenRow {
  readonly sessionId: string;
  readonly generation: number;
  readonly createdAt: Date;
}

export interface DeviceRow extends Device {
  readonly fingerprint: string;
  readonly namedByUser?: boolean;
  readonly removedAt?: Date | null;
}

export interface AlertRow extends SessionAlert {
  readonly foldKey: string;
}

/** A session_outbox row: a real-time event waiting for (or past) the relay. */
export interface OutboxRow {
  readonly userId: string;
  readonly version: number;
  readonly type: string;
  /** As the relay reads it back: the jsonb, dates revived. */
  readonly payload: object;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
}

/** session_outbox's primary key (user_id, version). */
export const outboxKey = (userId: string, version: number): string => `${userId}:${version}`;

/**
 * Rows are immutable and replaced on change, so copying the maps is a complete snapshot: that is
 * what lets a transaction work on its own copy and be dropped whole when it fails.
 */
export interface Tables {
  readonly users: Map<string, UserRow>;
  readonly sessions: Map<string, SessionRow>;
  /** By the token hash in hex. */
  readonly refreshTokens: Map<string, RefreshTokenRow>;
  readonly devices: Map<string, DeviceRow>;
  readonly alerts: Map<string, AlertRow>;
  /** In insertion order, as the seq column orders the real log. */
  readonly activity: Map<string, SessionActivity>;
  /** By outboxKey, in insertion order. */
  readonly outbox: Map<string, OutboxRow>;
  readonly appSecrets: Map<string, Buffer>;
}

const copyOf = (tables: Tables): Tables => ({
  users: new Map(tables.users),
  sessions: new Map(tables.sessions),
  refreshTokens: new Map(tables.refreshTokens),
  devices: new Map(tables.devices),
  alerts: new Map(tables.alerts),
  activity: new Map(tables.activity),
  outbox: new Map(tables.outbox),
  appSecrets: new Map(tables.appSecrets),
});

const emptyTables = (): Tables => ({
  users: new Map(),
  sessions: new Map(),
  refreshTokens: new Map(),
  devices: new Map(),
  alerts: new Map(),
  activity: new Map(),
  outbox: new Map(),
  appSecrets: new Map(),
});

class Transaction {
  open = true;
  readonly lockedUsers = new Set<string>();
  readonly handle: EntityManager;

  constructor(readonly tables: Tables) {
    // Stands where TypeORM's EntityManager goes: the stand-ins only ever look it up, never call it.
    this.handle = Object.freeze({ inMemoryTransaction: true }) as unknown as EntityManager;
  }
}

type Effect = (tables: Tables) => void;

/**
 * The one database every in-memory repository shares, with the guarantees the services rely on
 * from PostgreSQL and PGlite:
 * - a transaction commits all of its changes or none, and others see them only once it commits;
 * - transactions run one after another: the real database serialises those that lock the same user,
 *   and running all of them in turn is one of the orders it could choose, so concurrent calls (a
 *   refresh raced with itself, say) are decided as they would be under the locks;
 * - outside a transaction a statement sees committed data and a write commits at once.
 *
 * It is stricter than the real database where the architecture asks for discipline the SQL cannot
 * check, so that breaking the discipline fails a unit test instead of deadlocking production:
 * - code inside a transaction may not use the database except through that transaction's manager
 *   (PGlite has one connection, so such a statement would wait forever);
 * - a change to a user's sessions, devices or alerts must come after the user's row lock (the one
 *   lock order of docs/ARCHITECTURE.md).
 */
export class InMemoryDatabase {
  private committed: Tables = emptyTables();
  private readonly transactions = new WeakMap<object, Transaction>();
  private readonly current = new AsyncLocalStorage<Transaction>();
  private tail: Promise<unknown> = Promise.resolve();
  private readonly failures = new Map<string, Error[]>();
  private readonly interleavings = new Map<string, Effect[]>();
  private readonly commitFailures: Error[] = [];
  /** Every statement run, by name (e.g. 'SessionRepository.getAuthStates'): what a round trip would have been. */
  readonly statements: string[] = [];
  transactionsBegun = 0;

  /** The committed data, for arranging a test and asserting its outcome. */
  get rows(): Tables {
    return this.committed;
  }

  /** Changes committed data directly, as a test's arrangement; never while a transaction runs. */
  seed(change: Effect): void {
    if (this.current.getStore()) throw new Error('seed() called inside a transaction');
    change(this.committed);
  }

  /** The next `statement` fails with `error`, as a connection dropped mid-request would make it. */
  failNext(statement: string, error: Error = new Error('Connection terminated unexpectedly')): void {
    this.failures.set(statement, [...(this.failures.get(statement) ?? []), error]);
  }

  /** The next transaction does all its work and then fails to commit, as a connection lost at COMMIT would. */
  failNextCommit(error: Error = new Error('Connection terminated unexpectedly')): void {
    this.commitFailures.push(error);
  }

  /**
   * Runs `effect` on the data just before the next `statement` is run, as if another instance's
   * transaction had committed it a moment earlier; a statement inside a transaction sees it, as a
   * PostgreSQL UPDATE re-reads a row once the lock it waited for is released.
   */
  interleave(statement: string, effect: Effect): void {
    this.interleavings.set(statement, [...(this.interleavings.get(statement) ?? []), effect]);
  }

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    if (this.current.getStore()) {
      return Promise.reject(new Error('A transaction was begun inside another one: on PGlite’s single connection it would wait forever'));
    }
    const run = async (): Promise<T> => {
      const transaction = new Transaction(copyOf(this.committed));
      this.transactions.set(transaction.handle, transaction);
      this.transactionsBegun++;
      try {
        const result = await this.current.run(transaction, () => work(transaction.handle));
        const commitFailure = this.commitFailures.shift();
        if (commitFailure) throw commitFailure;
        this.committed = transaction.tables;
        return result;
      } finally {
        transaction.open = false;
      }
    };
    const result = this.tail.then(run);
    this.tail = result.catch(() => undefined);
    return result;
  }

  /** A statement in the transaction `tx`. */
  async inTransaction<T>(name: string, tx: EntityManager, run: (tables: Tables) => T): Promise<T> {
    const transaction = this.transactions.get(tx);
    if (!transaction?.open) throw new Error(`${name} was given a transaction that is not open`);
    return this.execute(name, transaction.tables, run);
  }

  /** A read outside any transaction: committed data only. */
  async read<T>(name: string, run: (tables: Tables) => T): Promise<T> {
    this.assertOutsideTransaction(name);
    return this.execute(name, this.committed, run);
  }

  /** A write outside any transaction: it commits at once, after any transaction under way. */
  async write<T>(name: string, run: (tables: Tables) => T): Promise<T> {
    this.assertOutsideTransaction(name);
    return this.transaction((tx) => this.inTransaction(name, tx, run));
  }

  lockUser(tx: EntityManager, userId: string): void {
    this.openTransaction(tx).lockedUsers.add(userId);
  }

  assertUserLocked(tx: EntityManager, userId: string, statement: string): void {
    if (!this.openTransaction(tx).lockedUsers.has(userId)) {
      throw new Error(`${statement} changed rows of user ${userId} before locking the user (the lock order of every change)`);
    }
  }

  private openTransaction(tx: EntityManager): Transaction {
    const transaction = this.transactions.get(tx);
    if (!transaction?.open) throw new Error('Not an open transaction');
    return transaction;
  }

  private assertOutsideTransaction(name: string): void {
    if (this.current.getStore()) {
      throw new Error(
        `${name} ran outside the transaction’s manager while the transaction was open: on PGlite’s single connection it would wait forever`,
      );
    }
  }

  private async execute<T>(name: string, tables: Tables, run: (tables: Tables) => T): Promise<T> {
    // A round trip: whatever else is under way gets to run before the answer comes back.
    await Promise.resolve();
    this.statements.push(name);
    const failure = this.failures.get(name)?.shift();
    if (failure) throw failure;
    for (const effect of this.interleavings.get(name)?.splice(0) ?? []) effect(tables);
    return run(tables);
  }
}
