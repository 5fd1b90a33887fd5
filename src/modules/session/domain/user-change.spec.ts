import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import type { EntityManager } from 'typeorm';
import { Clock } from '../../../common/clock.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import { ManualClock } from '../../../../test/helpers/manual-clock.js';
import { activityLog, LAPTOP, outboxRows, PHONE, seedDevice, seedSession, seedUser, START } from '../../../../test/unit/fixtures.js';
import { InMemoryDatabase, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { AlertSeverity, SessionAlertType, type SessionAlert } from '../../alert/domain/session-alert.js';
import type { Device } from '../../device/domain/device.js';
import { UserChangeRepository } from '../data/user-change.repository.js';
import { SessionEndReason, SessionStatus, type Session } from './session.js';
import { UserChange, type ChangeScope, type ChangeWatcher } from './user-change.js';

describe('UserChange', () => {
  let sut: UserChange;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let bus: DomainEvents;
  let user: UserRow;
  let device: Device;

  beforeEach(async () => {
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    const moduleRef = await Test.createTestingModule({
      providers: [
        UserChange,
        DomainEvents,
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: Clock, useValue: clock },
      ],
    }).compile();
    sut = moduleRef.get(UserChange);
    bus = moduleRef.get(DomainEvents);
    events = new RecordedEvents(bus);
    user = seedUser(db, { eventVersion: 41 });
    device = seedDevice(db, user);
  });

  const versionOf = () => db.rows.users.get(user.id)?.eventVersion;

  const ended = (reason = SessionEndReason.REVOKED_BY_USER): Session => ({
    ...seedSession(db, { user, device }).session,
    status: SessionStatus.REVOKED,
    endReason: reason,
    endedAt: START,
  });

  const alertFor = (change: ChangeScope): SessionAlert => ({
    id: randomUUID(),
    userId: change.userId,
    sessionId: null,
    type: SessionAlertType.BRUTE_FORCE,
    severity: AlertSeverity.CRITICAL,
    message: 'Too many guesses.',
    details: {},
    occurrences: 1,
    createdAt: change.now,
    lastOccurredAt: change.now,
    acknowledgedAt: null,
  });

  /** SessionEventOutbox's part, reduced: an outbox row for each versioned event the change itself must write. */
  const outboxWatcher = (seen: string[] = []): ChangeWatcher => ({
    stage: 'records',
    async inTransaction(change, changeEvents) {
      seen.push(`records: ${changeEvents.map((e) => e.type).join(', ')}`);
      for (const event of changeEvents) {
        if ('version' in event && !change.isWritten(event)) {
          change.addToOutbox({ version: event.version, type: event.type, payload: { type: event.type, version: event.version } });
        }
      }
    },
  });

  describe('run', () => {
    it('gives the change’s events consecutive versions after the user’s last, and leaves the user’s event_version at the last', async () => {
      const result = await sut.run(user.id, PHONE, async (change) => {
        change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: PHONE });
        change.emit({ type: 'DEVICE_UNTRUSTED', version: change.nextVersion(), device, endedSessions: [], client: PHONE });
        return 'done';
      });

      expect(result).toBe('done');
      expect(events.all.map((e) => ('version' in e ? e.version : undefined))).toEqual([42, 43]);
      expect(versionOf()).toBe(43);
    });

    it('locks the user before the work’s first statement, and records in the same transaction', async () => {
      const statementsOfWork: string[] = [];
      await sut.run(user.id, PHONE, async (change) => {
        statementsOfWork.push(...db.statements);
        change.emit({ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: PHONE });
      });

      expect(statementsOfWork).toEqual(['UserChangeRepository.lock']);
      expect(db.statements).toEqual(['UserChangeRepository.lock', 'UserChangeRepository.record']);
      expect(db.transactionsBegun).toBe(1);
    });

    it('takes no version for a change with no versioned event, and still records its entries', async () => {
      await sut.run(user.id, PHONE, async (change) => {
        change.emit({ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: PHONE });
      });

      expect(versionOf()).toBe(41);
      expect(activityLog(db)).toMatchObject([{ userId: user.id, type: SessionActivityType.LOGIN_FAILED, ipAddress: PHONE.ipAddress }]);
    });

    it('writes nothing, and sends no record, for a change that emitted nothing', async () => {
      const seen: string[] = [];
      sut.watch(outboxWatcher(seen));

      await sut.run(user.id, PHONE, async () => undefined);

      expect(db.statements).toEqual(['UserChangeRepository.lock']);
      expect(seen).toEqual([]);
      expect(versionOf()).toBe(41);
      expect(events.all).toEqual([]);
    });

    it('runs the rules before the records, whatever the order they registered in, and gives what the rules emit a version and an entry', async () => {
      const seen: string[] = [];
      sut.watch(outboxWatcher(seen));
      sut.watch({
        stage: 'rules',
        async inTransaction(change, changeEvents) {
          seen.push(`rules: ${changeEvents.map((e) => e.type).join(', ')}`);
          change.emit({ type: 'ALERT_RAISED', version: change.nextVersion(), alert: alertFor(change), client: change.client });
        },
      });

      await sut.run(user.id, LAPTOP, async (change) => {
        change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: LAPTOP });
      });

      expect(seen).toEqual(['rules: DEVICE_TRUSTED', 'records: DEVICE_TRUSTED, ALERT_RAISED']);
      expect(events.all.map((e) => [e.type, 'version' in e ? e.version : undefined])).toEqual([
        ['DEVICE_TRUSTED', 42],
        ['ALERT_RAISED', 43],
      ]);
      expect(versionOf()).toBe(43);
      expect(activityLog(db).map((a) => [a.type, a.ipAddress])).toEqual([
        [SessionActivityType.DEVICE_TRUSTED, LAPTOP.ipAddress],
        [SessionActivityType.ALERT_RAISED, LAPTOP.ipAddress],
      ]);
      expect(outboxRows(db).map((row) => [row.userId, row.version, row.type, row.createdAt])).toEqual([
        [user.id, 42, 'DEVICE_TRUSTED', START],
        [user.id, 43, 'ALERT_RAISED', START],
      ]);
    });

    it('writes the activity entries in the order the events were emitted, each with the change’s client where the event has none', async () => {
      const [first, second] = [ended(), ended(SessionEndReason.LOGOUT)];

      await sut.run(user.id, PHONE, async (change) => {
        change.emit({ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: LAPTOP });
        change.emit({ type: 'SESSION_ENDED', version: change.nextVersion(), session: first });
        change.emit({ type: 'SESSION_ENDED', version: change.nextVersion(), session: second, client: PHONE });
        change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: PHONE });
      });

      expect(activityLog(db).map((a) => [a.type, a.sessionId, a.ipAddress])).toEqual([
        [SessionActivityType.LOGIN_FAILED, null, LAPTOP.ipAddress],
        [SessionActivityType.SESSION_REVOKED, first.id, PHONE.ipAddress],
        [SessionActivityType.LOGOUT, second.id, PHONE.ipAddress],
        [SessionActivityType.DEVICE_TRUSTED, null, PHONE.ipAddress],
      ]);
      expect(new Set(activityLog(db).map((a) => a.id)).size).toBe(4);
    });

    describe('when the change fails', () => {
      const failures: [string, () => void, (change: ChangeScope) => Promise<void>][] = [
        [
          'the work throws',
          () => undefined,
          async () => {
            throw new Error('work failed');
          },
        ],
        [
          'a watcher throws',
          () =>
            sut.watch({
              stage: 'records',
              async inTransaction() {
                throw new Error('watcher failed');
              },
            }),
          async () => undefined,
        ],
        ['the record is not written', () => db.failNext('UserChangeRepository.record', new Error('record failed')), async () => undefined],
        ['the commit fails', () => db.failNextCommit(new Error('commit failed')), async () => undefined],
      ];

      it.each(failures)(
        'leaves no entry, no version and no outbox row, and publishes nothing, when %s',
        async (_case, arrange, andThen) => {
          sut.watch(outboxWatcher());
          arrange();

          await expect(
            sut.run(user.id, PHONE, async (change) => {
              change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: PHONE });
              change.emit({ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: PHONE });
              await andThen(change);
            }),
          ).rejects.toThrow('failed');

          expect(activityLog(db)).toEqual([]);
          expect(versionOf()).toBe(41);
          expect(outboxRows(db)).toEqual([]);
          expect(events.all).toEqual([]);
        },
      );
    });

    it('publishes the events on DomainEvents only once the change has committed', async () => {
      const committedWhenPublished: [string, number | undefined, number, number][] = [];
      bus.subscribe((event) => {
        committedWhenPublished.push([event.type, versionOf(), db.rows.activity.size, db.rows.outbox.size]);
      });
      sut.watch(outboxWatcher());
      let publishedBeforeCommit = -1;
      db.interleave('UserChangeRepository.record', () => {
        publishedBeforeCommit = events.all.length;
      });

      await sut.run(user.id, PHONE, async (change) => {
        change.emit({ type: 'DEVICE_TRUSTED', version: change.nextVersion(), device, client: PHONE });
        change.emit({ type: 'DEVICE_UNTRUSTED', version: change.nextVersion(), device, endedSessions: [], client: PHONE });
      });

      expect(publishedBeforeCommit).toBe(0);
      expect(committedWhenPublished).toEqual([
        ['DEVICE_TRUSTED', 43, 2, 2],
        ['DEVICE_UNTRUSTED', 43, 2, 2],
      ]);
    });

    it('refuses a user that does not exist, writing nothing', async () => {
      await expect(
        sut.run('no-such-user', PHONE, async (change) => {
          change.emit({ type: 'LOGIN_FAILED', userId: 'no-such-user', reason: 'INVALID_CREDENTIALS', client: PHONE });
        }),
      ).rejects.toThrow('No user no-such-user to change');
      expect(activityLog(db)).toEqual([]);
      expect(events.all).toEqual([]);
    });
  });

  describe('within (a transaction that already holds the user’s lock)', () => {
    /** As the refresh holds it: the user locked by the transaction's first statement. */
    const lockedTransaction = <T>(work: (tx: EntityManager) => Promise<T>) =>
      db.transaction(async (tx) => {
        await new InMemoryUserChangeRepository(db).lock(tx, user.id);
        return work(tx);
      });

    it('counts from the version it is given, records in that transaction, and leaves publishing to the caller', async () => {
      const session = ended(SessionEndReason.LOGOUT);

      const returned = await lockedTransaction((tx) =>
        sut.within(tx, { userId: user.id, version: 50, now: clock.now(), client: PHONE }, (change) => {
          change.emit({ type: 'SESSION_ENDED', version: change.nextVersion(), session });
        }),
      );

      expect(returned).toEqual([{ type: 'SESSION_ENDED', version: 51, session }]);
      expect(versionOf()).toBe(51);
      expect(activityLog(db)).toMatchObject([{ type: SessionActivityType.LOGOUT, sessionId: session.id, ipAddress: PHONE.ipAddress }]);
      expect(events.all).toEqual([]);
    });

    it('writes no entry and no outbox row for an event the caller’s statement wrote (emitWritten), and takes no version for it', async () => {
      const seen: string[] = [];
      sut.watch(outboxWatcher(seen));
      const { session } = seedSession(db, { user, device });

      const returned = await lockedTransaction((tx) =>
        sut.within(tx, { userId: user.id, version: 41, now: clock.now(), client: PHONE }, (change) =>
          change.emitWritten({
            type: 'SESSION_REFRESHED',
            version: 41,
            session,
            device,
            recorded: { hasEarlierActivity: true, ipSeenRecently: true },
            client: PHONE,
          }),
        ),
      );

      expect(returned.map((e) => e.type)).toEqual(['SESSION_REFRESHED']);
      // The watchers still hear of it (the rules judge a refresh too).
      expect(seen).toEqual(['records: SESSION_REFRESHED']);
      expect(activityLog(db)).toEqual([]);
      expect(outboxRows(db)).toEqual([]);
      expect(db.statements).not.toContain('UserChangeRepository.record');
      expect(versionOf()).toBe(41);
    });

    it('versions and records what follows a written event from the version after it', async () => {
      sut.watch({
        stage: 'rules',
        async inTransaction(change, changeEvents) {
          if (changeEvents.some((e) => e.type === 'SESSION_REFRESHED')) {
            change.emit({ type: 'ALERT_RAISED', version: change.nextVersion(), alert: alertFor(change), client: change.client });
          }
        },
      });
      sut.watch(outboxWatcher());
      const { session } = seedSession(db, { user, device });

      const returned: DomainEvent[] = await lockedTransaction((tx) =>
        sut.within(tx, { userId: user.id, version: 42, now: clock.now(), client: PHONE }, (change) =>
          change.emitWritten({
            type: 'SESSION_REFRESHED',
            version: 42,
            session,
            device,
            recorded: { hasEarlierActivity: true, ipSeenRecently: false },
            client: PHONE,
          }),
        ),
      );

      expect(returned.map((e) => [e.type, 'version' in e ? e.version : undefined])).toEqual([
        ['SESSION_REFRESHED', 42],
        ['ALERT_RAISED', 43],
      ]);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.ALERT_RAISED]);
      expect(outboxRows(db).map((row) => [row.version, row.type])).toEqual([[43, 'ALERT_RAISED']]);
      expect(versionOf()).toBe(43);
    });
  });

  describe('rehearse', () => {
    it('sends a change’s round trips for no user, writing and publishing nothing', async () => {
      sut.watch(outboxWatcher());

      await sut.rehearse();

      expect(db.statements).toEqual(['UserChangeRepository.lock', 'UserChangeRepository.rehearseRecord']);
      expect(activityLog(db)).toEqual([]);
      expect(outboxRows(db)).toEqual([]);
      expect(versionOf()).toBe(41);
      expect(events.all).toEqual([]);
    });
  });
});
