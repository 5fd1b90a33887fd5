import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { InMemoryDatabase } from '../../../../test/unit/in-memory-database.js';
import {
  activityLog,
  DAY,
  endedSession,
  PHONE,
  seedDevice,
  seedSession,
  seedUser,
  sessionRow,
  START,
} from '../../../../test/unit/fixtures.js';
import type { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { compileOnSessionStore } from '../../../../test/unit/session-store-module.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionEndReason, SessionStatus } from './session.js';
import { SessionTerminator } from './session-terminator.js';
import { UserChange } from './user-change.js';

describe('SessionTerminator', () => {
  let sut: SessionTerminator;
  let userChange: UserChange;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    ({ db, clock, events, moduleRef } = await compileOnSessionStore(() => []));
    sut = moduleRef.get(SessionTerminator);
    userChange = moduleRef.get(UserChange);
  });

  const seedUserWithDevice = () => {
    const user = seedUser(db);
    return { user, device: seedDevice(db, user) };
  };

  describe('endOne', () => {
    it('ends an active session as revoked at the clock’s time and publishes SESSION_ENDED with the user’s next version', async () => {
      const owner = seedUserWithDevice();
      db.seed((tables) => tables.users.set(owner.user.id, { ...owner.user, eventVersion: 41 }));
      const { session } = seedSession(db, owner);
      clock.advance(5 * MINUTE);

      const ended = await sut.endOne(owner.user.id, session.id, SessionEndReason.LOGOUT, PHONE);

      expect(ended).toMatchObject({
        id: session.id,
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.LOGOUT,
        endedAt: clock.now(),
      });
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.REVOKED);
      expect(events.all).toEqual([{ type: 'SESSION_ENDED', version: 42, session: ended, client: PHONE }]);
      expect(db.rows.users.get(owner.user.id)?.eventVersion).toBe(42);
      // The log's entry commits with the end: a logout, at the end's time, from where it was asked.
      expect(activityLog(db)).toEqual([
        {
          id: expect.any(String),
          userId: owner.user.id,
          sessionId: session.id,
          type: SessionActivityType.LOGOUT,
          occurredAt: clock.now(),
          ...PHONE,
          details: { reason: SessionEndReason.LOGOUT },
        },
      ]);
    });

    it('records a timeout as EXPIRED rather than REVOKED', async () => {
      const owner = seedUserWithDevice();
      const { session } = seedSession(db, owner);

      const ended = await sut.endOne(owner.user.id, session.id, SessionEndReason.IDLE_TIMEOUT);

      expect(ended).toMatchObject({ status: SessionStatus.EXPIRED, endReason: SessionEndReason.IDLE_TIMEOUT });
      expect(events.of('SESSION_ENDED')).toEqual([{ type: 'SESSION_ENDED', version: 1, session: ended, client: undefined }]);
    });

    it('answers undefined for a session that had already ended, keeps its first reason and publishes nothing', async () => {
      const owner = seedUserWithDevice();
      const { session } = seedSession(db, owner, endedSession(SessionEndReason.REVOKED_BY_ADMIN, SessionStatus.REVOKED, START));

      const ended = await sut.endOne(owner.user.id, session.id, SessionEndReason.LOGOUT);

      expect(ended).toBeUndefined();
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.REVOKED_BY_ADMIN);
      expect(events.all).toEqual([]);
      expect(activityLog(db)).toEqual([]);
      // No version is spent on a change that did not happen: clients would see a gap.
      expect(db.rows.users.get(owner.user.id)?.eventVersion).toBe(0);
    });

    it('answers undefined for a session that does not exist', async () => {
      const { user } = seedUserWithDevice();

      await expect(sut.endOne(user.id, 'no-such-session', SessionEndReason.LOGOUT)).resolves.toBeUndefined();
      expect(events.all).toEqual([]);
    });

    it('leaves the session active, records nothing and publishes nothing when the change does not commit', async () => {
      const owner = seedUserWithDevice();
      const { session } = seedSession(db, owner);
      db.failNextCommit();

      await expect(sut.endOne(owner.user.id, session.id, SessionEndReason.LOGOUT)).rejects.toThrow('Connection terminated');

      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
      expect(events.all).toEqual([]);
      expect(activityLog(db)).toEqual([]);
      expect(db.rows.users.get(owner.user.id)?.eventVersion).toBe(0);
    });
  });

  describe('endAllOfUser', () => {
    it('ends every active session of the user but the one excepted, with consecutive versions', async () => {
      const owner = seedUserWithDevice();
      const kept = seedSession(db, owner).session;
      const first = seedSession(db, owner).session;
      const second = seedSession(db, owner).session;
      const alreadyEnded = seedSession(db, owner, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START)).session;
      const stranger = seedUserWithDevice();
      const strangers = seedSession(db, stranger).session;

      const ended = await sut.endAllOfUser(owner.user.id, kept.id, SessionEndReason.REVOKED_BY_USER, PHONE);

      expect(ended.map((s) => s.id).sort()).toEqual([first.id, second.id].sort());
      expect(ended.every((s) => s.endReason === SessionEndReason.REVOKED_BY_USER)).toBe(true);
      expect(sessionRow(db, kept.id).status).toBe(SessionStatus.ACTIVE);
      expect(sessionRow(db, alreadyEnded.id).endReason).toBe(SessionEndReason.LOGOUT);
      expect(sessionRow(db, strangers.id).status).toBe(SessionStatus.ACTIVE);
      expect(events.of('SESSION_ENDED').map((e) => [e.session.id, e.version])).toEqual([
        [ended[0]?.id, 1],
        [ended[1]?.id, 2],
      ]);
      expect(activityLog(db).map((a) => [a.type, a.sessionId])).toEqual(ended.map((s) => [SessionActivityType.SESSION_REVOKED, s.id]));
    });

    it('ends the caller’s own session too when none is excepted', async () => {
      const owner = seedUserWithDevice();
      const only = seedSession(db, owner).session;

      const ended = await sut.endAllOfUser(owner.user.id, null, SessionEndReason.PASSWORD_CHANGED);

      expect(ended.map((s) => s.id)).toEqual([only.id]);
      expect(sessionRow(db, only.id).status).toBe(SessionStatus.REVOKED);
    });

    it('answers an empty list, takes no version, writes nothing and publishes nothing when no session is active', async () => {
      const { user } = seedUserWithDevice();

      await expect(sut.endAllOfUser(user.id, null, SessionEndReason.REVOKED_BY_USER)).resolves.toEqual([]);

      expect(events.all).toEqual([]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
      expect(db.statements).not.toContain('UserChangeRepository.record');
    });
  });

  describe('endExpiredOfUser', () => {
    it('ends the sessions past their absolute lifetime or idle for the timeout, each with its own reason, and no others', async () => {
      const owner = seedUserWithDevice();
      const outlived = seedSession(db, owner, { expiresAt: new Date(START.getTime() + DAY) }).session;
      const idle = seedSession(db, owner).session;
      clock.advance(DAY);
      const fresh = seedSession(db, owner, { createdAt: clock.now() }).session;
      const timeout = 30 * MINUTE;

      const ended = await sut.endExpiredOfUser(owner.user.id, timeout);

      expect(new Map(ended.map((s) => [s.id, s.endReason]))).toEqual(
        new Map([
          [outlived.id, SessionEndReason.ABSOLUTE_TIMEOUT],
          [idle.id, SessionEndReason.IDLE_TIMEOUT],
        ]),
      );
      expect(ended.every((s) => s.status === SessionStatus.EXPIRED)).toBe(true);
      expect(sessionRow(db, fresh.id).status).toBe(SessionStatus.ACTIVE);
      // The sweeper's work has no request behind it.
      expect(events.of('SESSION_ENDED').map((e) => e.client)).toEqual([undefined, undefined]);
    });

    it('counts idleness from the idle timeout it is given: a session idle one millisecond short of it stays', async () => {
      const owner = seedUserWithDevice();
      const { session } = seedSession(db, owner);
      clock.advance(10 * MINUTE - 1);

      await expect(sut.endExpiredOfUser(owner.user.id, 10 * MINUTE)).resolves.toEqual([]);
      clock.advance(1);
      await expect(sut.endExpiredOfUser(owner.user.id, 10 * MINUTE)).resolves.toMatchObject([{ id: session.id }]);
    });
  });

  describe('inside a change (endAllOnDevice, endLocked, ended)', () => {
    it('ends the device’s active sessions in the caller’s change, each with its version, published once the change commits', async () => {
      const owner = seedUserWithDevice();
      const otherDevice = seedDevice(db, owner.user);
      const onDevice = seedSession(db, owner).session;
      const elsewhere = seedSession(db, { user: owner.user, device: otherDevice }).session;
      let publishedInside: string[] = [];

      const ended = await userChange.run(owner.user.id, PHONE, async (change) => {
        const ended = await sut.endAllOnDevice(change, owner.device.id, SessionEndReason.DEVICE_UNTRUSTED);
        publishedInside = events.types;
        return ended;
      });

      expect(ended).toMatchObject([{ id: onDevice.id, status: SessionStatus.REVOKED, endReason: SessionEndReason.DEVICE_UNTRUSTED }]);
      expect(sessionRow(db, elsewhere.id).status).toBe(SessionStatus.ACTIVE);
      expect(publishedInside).toEqual([]);
      expect(events.all).toEqual([{ type: 'SESSION_ENDED', version: 1, session: ended[0], client: PHONE }]);
      expect(activityLog(db)).toMatchObject([{ type: SessionActivityType.SESSION_REVOKED, sessionId: onDevice.id }]);
    });

    it('ends one session the change holds, or answers undefined when it had already ended', async () => {
      const owner = seedUserWithDevice();
      const active = seedSession(db, owner).session;
      const alreadyEnded = seedSession(db, owner, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START)).session;

      const [ended, none] = await userChange.run(owner.user.id, PHONE, async (change) => [
        await sut.endLocked(change, active.id, SessionEndReason.IDLE_TIMEOUT),
        await sut.endLocked(change, alreadyEnded.id, SessionEndReason.IDLE_TIMEOUT),
      ]);

      expect(ended).toMatchObject({ id: active.id, status: SessionStatus.EXPIRED, endReason: SessionEndReason.IDLE_TIMEOUT });
      expect(none).toBeUndefined();
      expect(events.of('SESSION_ENDED')).toEqual([{ type: 'SESSION_ENDED', version: 1, session: ended, client: PHONE }]);
    });

    it('gives each ended session its own version, after the user’s last, and the change’s client', async () => {
      const owner = seedUserWithDevice();
      db.seed((tables) => tables.users.set(owner.user.id, { ...owner.user, eventVersion: 7 }));
      const a = seedSession(db, owner).session;
      const b = seedSession(db, owner).session;

      await userChange.run(owner.user.id, PHONE, async (change) => sut.ended(change, [a, b]));

      expect(events.all).toEqual([
        { type: 'SESSION_ENDED', version: 8, session: a, client: PHONE },
        { type: 'SESSION_ENDED', version: 9, session: b, client: PHONE },
      ]);
      expect(db.rows.users.get(owner.user.id)?.eventVersion).toBe(9);
    });

    it('takes no version for no ended sessions', async () => {
      const { user } = seedUserWithDevice();

      await expect(userChange.run(user.id, PHONE, async (change) => sut.ended(change, []))).resolves.toEqual([]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
      expect(events.all).toEqual([]);
    });
  });
});
