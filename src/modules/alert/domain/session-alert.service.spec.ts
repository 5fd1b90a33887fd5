import { beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { DomainEvents } from '../../../events/domain-events.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import {
  activityLog,
  actorFor,
  LAPTOP,
  PHONE,
  seedAdmin,
  seedDevice,
  seedSession,
  seedUser,
  START,
} from '../../../../test/unit/fixtures.js';
import { InMemoryDatabase, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemorySessionAlertRepository } from '../../../../test/unit/in-memory-session-alert-repository.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { UserChangeRepository } from '../../session/data/user-change.repository.js';
import { UserChange } from '../../session/domain/user-change.js';
import { SessionAlertRepository } from '../data/session-alert.repository.js';
import { AlertSeverity, SessionAlertType, type AlertCandidate } from './session-alert.js';
import { ALERT_FOLD_WINDOW_MS } from './session-alert.rules.js';
import { SessionAlertService } from './session-alert.service.js';

describe('SessionAlertService', () => {
  let sut: SessionAlertService;
  let userChange: UserChange;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let user: UserRow;

  beforeEach(async () => {
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionAlertService,
        UserChange,
        DomainEvents,
        { provide: SessionAlertRepository, useValue: new InMemorySessionAlertRepository(db) },
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: Clock, useValue: clock },
      ],
    }).compile();
    sut = moduleRef.get(SessionAlertService);
    userChange = moduleRef.get(UserChange);
    events = new RecordedEvents(moduleRef.get(DomainEvents));
    user = seedUser(db);
  });

  const candidate = (overrides: Partial<AlertCandidate> = {}): AlertCandidate => ({
    userId: user.id,
    sessionId: null,
    type: SessionAlertType.BRUTE_FORCE,
    severity: AlertSeverity.CRITICAL,
    message: '5 failed sign-in attempts in a row; sign-in is paused for a while.',
    details: { failures: 5 },
    foldKey: 'BRUTE_FORCE',
    ...overrides,
  });

  /** As the rules raise it: inside a change of the candidate's user, which it commits with. */
  const raise = (alert: AlertCandidate, client?: ClientInfo) =>
    userChange.run(alert.userId, client, (change) => sut.raise(change, alert, client));

  const actorOf = (owner: UserRow) => actorFor(seedSession(db, { user: owner, device: seedDevice(db, owner) }).session);

  describe('raise', () => {
    it('stores a new alert and publishes ALERT_RAISED with the user’s next version', async () => {
      const alert = await raise(candidate(), PHONE);

      expect(alert).toEqual({
        id: alert.id,
        userId: user.id,
        sessionId: null,
        type: SessionAlertType.BRUTE_FORCE,
        severity: AlertSeverity.CRITICAL,
        message: candidate().message,
        details: { failures: 5 },
        occurrences: 1,
        createdAt: START,
        lastOccurredAt: START,
        acknowledgedAt: null,
      });
      expect(events.all).toEqual([{ type: 'ALERT_RAISED', version: 1, alert, client: PHONE }]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(1);
      // Its entry commits with it.
      expect(activityLog(db)).toEqual([
        {
          id: expect.any(String),
          userId: user.id,
          sessionId: null,
          type: SessionActivityType.ALERT_RAISED,
          occurredAt: START,
          ...PHONE,
          details: { alertId: alert.id, alertType: SessionAlertType.BRUTE_FORCE, severity: AlertSeverity.CRITICAL },
        },
      ]);
    });

    it('folds a repeat of the same cause within the window into the first alert, silently', async () => {
      const first = await raise(candidate(), PHONE);
      clock.advance(ALERT_FOLD_WINDOW_MS - 1);

      const folded = await raise(candidate(), LAPTOP);

      expect(folded).toEqual({ ...first, occurrences: 2, lastOccurredAt: clock.now() });
      expect(db.rows.alerts.size).toBe(1);
      expect(events.types).toEqual(['ALERT_RAISED']);
      // A fold is not a change the devices hear of, so it takes no version, and the log has the alert once.
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(1);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.ALERT_RAISED]);
    });

    it('raises a new alert once the window since the last occurrence has passed', async () => {
      const first = await raise(candidate());
      clock.advance(ALERT_FOLD_WINDOW_MS);

      const second = await raise(candidate());

      expect(second.id).not.toBe(first.id);
      expect(events.of('ALERT_RAISED').map((e) => [e.alert.id, e.version])).toEqual([
        [first.id, 1],
        [second.id, 2],
      ]);
    });

    it('measures the window from the latest occurrence, so a steady trickle keeps folding', async () => {
      const first = await raise(candidate());
      clock.advance(ALERT_FOLD_WINDOW_MS - MINUTE);
      await raise(candidate());
      clock.advance(ALERT_FOLD_WINDOW_MS - MINUTE);

      await expect(raise(candidate())).resolves.toMatchObject({ id: first.id, occurrences: 3 });
    });

    it('stores, records and publishes nothing when the change does not commit', async () => {
      db.failNextCommit();

      await expect(raise(candidate(), PHONE)).rejects.toThrow('Connection terminated unexpectedly');

      expect(db.rows.alerts.size).toBe(0);
      expect(activityLog(db)).toEqual([]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
      expect(events.all).toEqual([]);
    });

    it('stands or falls with the change that raised it', async () => {
      await expect(
        userChange.run(user.id, PHONE, async (change) => {
          await sut.raise(change, candidate(), PHONE);
          throw new Error('the rest of the change failed');
        }),
      ).rejects.toThrow('the rest of the change failed');

      expect(db.rows.alerts.size).toBe(0);
      expect(events.all).toEqual([]);
    });

    it('does not fold alerts of different causes', async () => {
      await raise(candidate());

      await raise(
        candidate({ type: SessionAlertType.NEW_IP_ADDRESS, severity: AlertSeverity.INFO, foldKey: 'NEW_IP_ADDRESS:198.51.100.20' }),
      );

      expect(db.rows.alerts.size).toBe(2);
      expect(events.types).toEqual(['ALERT_RAISED', 'ALERT_RAISED']);
    });

    it('does not fold one user’s alert into another’s of the same cause', async () => {
      const other = seedUser(db);
      await raise(candidate());

      const theirs = await raise(candidate({ userId: other.id }));

      expect(theirs).toMatchObject({ userId: other.id, occurrences: 1 });
      expect(events.of('ALERT_RAISED').map((e) => e.version)).toEqual([1, 1]);
    });
  });

  describe('list', () => {
    it('lists the caller’s alerts, newest first, or only the unacknowledged ones', async () => {
      const older = await raise(candidate());
      clock.advance(MINUTE);
      const newer = await raise(candidate({ foldKey: 'SESSION_LIMIT_REACHED', type: SessionAlertType.SESSION_LIMIT_REACHED }));
      const actor = actorOf(user);
      await sut.acknowledge(actor, older.id);

      await expect(sut.list(actor, false)).resolves.toMatchObject([{ id: newer.id }, { id: older.id }]);
      await expect(sut.list(actor, true)).resolves.toMatchObject([{ id: newer.id }]);
    });

    it('refuses to list another user’s alerts to a non-administrator', async () => {
      const other = seedUser(db);

      // list is not async: the refusal may come as a throw or a rejection, and either is a refusal.
      await expect(async () => sut.list(actorOf(user), false, other.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('lists another user’s alerts to an administrator', async () => {
      const alert = await raise(candidate());

      await expect(sut.list(seedAdmin(db), false, user.id)).resolves.toEqual([alert]);
    });
  });

  describe('acknowledge', () => {
    it('marks the caller’s alert acknowledged now, and keeps the first time on a repeat', async () => {
      const alert = await raise(candidate());
      const actor = actorOf(user);
      clock.advance(MINUTE);

      await expect(sut.acknowledge(actor, alert.id)).resolves.toEqual({ ...alert, acknowledgedAt: clock.now() });
      const first = clock.now();
      clock.advance(MINUTE);
      await expect(sut.acknowledge(actor, alert.id)).resolves.toMatchObject({ acknowledgedAt: first });
    });

    it('reports another user’s alert as missing to a non-administrator, and leaves it unacknowledged', async () => {
      const alert = await raise(candidate());

      await expect(sut.acknowledge(actorOf(seedUser(db)), alert.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(db.rows.alerts.get(alert.id)?.acknowledgedAt).toBeNull();
    });

    it('lets an administrator acknowledge another user’s alert', async () => {
      const alert = await raise(candidate());

      await expect(sut.acknowledge(seedAdmin(db), alert.id)).resolves.toMatchObject({ acknowledgedAt: START });
    });

    it('reports an alert that does not exist as missing', async () => {
      await expect(sut.acknowledge(actorOf(user), 'no-such-alert')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });
});
