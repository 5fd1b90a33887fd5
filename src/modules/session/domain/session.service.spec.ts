import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { loadConfig } from '../../../config/app-config.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { InMemoryDatabase } from '../../../../test/unit/in-memory-database.js';
import {
  activityLog,
  actorFor,
  DAY,
  endedSession,
  LAPTOP,
  PHONE,
  seedAdmin,
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
import { SessionService } from './session.service.js';

const config = loadConfig({});
const IDLE = config.sessionIdleTimeoutMs;

describe('SessionService', () => {
  let sut: SessionService;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    ({ db, clock, events, moduleRef } = await compileOnSessionStore((_db) => [SessionService]));
    sut = moduleRef.get(SessionService);
  });

  /** A user signed in on their phone; `session` is the one the actor calls from. */
  const signedIn = () => {
    const user = seedUser(db);
    const device = seedDevice(db, user);
    const { session } = seedSession(db, { user, device });
    return { user, device, session, actor: actorFor(session) };
  };

  describe('listActive', () => {
    it('lists the caller’s sessions that are active and not yet run out, most recently active first', async () => {
      const { user, device, session, actor } = signedIn();
      const idle = seedSession(db, { user, device }, { lastActivityAt: new Date(START.getTime() - IDLE) }).session;
      seedSession(db, { user, device }, { expiresAt: START });
      seedSession(db, { user, device }, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START));
      const later = seedSession(db, { user, device }, { lastActivityAt: new Date(START.getTime() + MINUTE) }).session;

      const listed = await sut.listActive(actor);

      expect(listed.map((s) => s.id)).toEqual([later.id, session.id]);
      expect(listed.map((s) => s.id)).not.toContain(idle.id);
    });

    it('refuses to list another user’s sessions to a non-administrator', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.listActive(actor, other.user.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('lists another user’s sessions to an administrator', async () => {
      const other = signedIn();
      const admin = seedAdmin(db);

      await expect(sut.listActive(admin, other.user.id)).resolves.toMatchObject([{ id: other.session.id }]);
    });
  });

  describe('get', () => {
    it('answers the caller’s own session', async () => {
      const { session, actor } = signedIn();

      await expect(sut.get(actor, session.id)).resolves.toEqual(session);
      expect(events.all).toEqual([]);
    });

    it('answers an ended session as it ended, for audit', async () => {
      const { user, device, actor } = signedIn();
      const ended = seedSession(db, { user, device }, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START)).session;
      clock.advance(30 * DAY);

      await expect(sut.get(actor, ended.id)).resolves.toEqual(ended);
      expect(events.all).toEqual([]);
      expect(db.transactionsBegun).toBe(0);
    });

    it('reports another user’s session as missing, not forbidden, to a non-administrator', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.get(actor, other.session.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('reports a session that does not exist as missing', async () => {
      const { actor } = signedIn();

      await expect(sut.get(actor, 'no-such-session')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('answers another user’s session to an administrator', async () => {
      const other = signedIn();

      await expect(sut.get(seedAdmin(db), other.session.id)).resolves.toEqual(other.session);
    });

    it('ends, and answers as expired, a session idle for the whole timeout that the sweeper has not reached', async () => {
      const { session, actor } = signedIn();
      clock.advance(IDLE);

      const answered = await sut.get(actor, session.id);

      expect(answered).toMatchObject({ status: SessionStatus.EXPIRED, endReason: SessionEndReason.IDLE_TIMEOUT, endedAt: clock.now() });
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.EXPIRED);
      // The sweeper's kind of end: no request caused it, so it carries no client.
      expect(events.all).toEqual([{ type: 'SESSION_ENDED', version: 1, session: answered, client: undefined }]);
    });

    it('ends a session past its absolute lifetime as ABSOLUTE_TIMEOUT, however recently it was used', async () => {
      const { user, device, actor } = signedIn();
      const outlived = seedSession(db, { user, device }, { expiresAt: new Date(START.getTime() + MINUTE) }).session;
      clock.advance(MINUTE);

      await expect(sut.get(actor, outlived.id)).resolves.toMatchObject({
        status: SessionStatus.EXPIRED,
        endReason: SessionEndReason.ABSOLUTE_TIMEOUT,
      });
    });

    it('answers the final state when another instance ends the run-out session first', async () => {
      const { session, actor } = signedIn();
      clock.advance(IDLE);
      db.interleave('UserChangeRepository.lock', (tables) => {
        const row = tables.sessions.get(session.id);
        if (row)
          tables.sessions.set(session.id, { ...row, ...endedSession(SessionEndReason.REVOKED_BY_ADMIN, SessionStatus.REVOKED, START) });
      });

      await expect(sut.get(actor, session.id)).resolves.toMatchObject({
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.REVOKED_BY_ADMIN,
      });
      expect(events.all).toEqual([]);
    });
  });

  describe('revoke', () => {
    it('ends the caller’s own session as REVOKED_BY_USER, recording where the request came from', async () => {
      const { user, device, actor } = signedIn();
      const phone = seedSession(db, { user, device }).session;

      const revoked = await sut.revoke(actor, phone.id);

      expect(revoked).toMatchObject({ id: phone.id, status: SessionStatus.REVOKED, endReason: SessionEndReason.REVOKED_BY_USER });
      expect(events.all).toEqual([{ type: 'SESSION_ENDED', version: 1, session: revoked, client: PHONE }]);
      // Written with the end, in its transaction.
      expect(activityLog(db)).toMatchObject([
        { type: SessionActivityType.SESSION_REVOKED, sessionId: phone.id, ipAddress: PHONE.ipAddress },
      ]);
    });

    it('ends another user’s session as REVOKED_BY_ADMIN when an administrator revokes it', async () => {
      const other = signedIn();

      const revoked = await sut.revoke(seedAdmin(db), other.session.id);

      expect(revoked).toMatchObject({ status: SessionStatus.REVOKED, endReason: SessionEndReason.REVOKED_BY_ADMIN });
      expect(events.of('SESSION_ENDED')).toMatchObject([{ session: { id: other.session.id }, client: LAPTOP }]);
    });

    it('calls an administrator’s revocation of their own session REVOKED_BY_USER', async () => {
      const admin = seedAdmin(db);

      await expect(sut.revoke(admin, admin.sessionId)).resolves.toMatchObject({ endReason: SessionEndReason.REVOKED_BY_USER });
    });

    it('is idempotent: revoking an ended session answers its final state and changes nothing', async () => {
      const { user, device, actor } = signedIn();
      const ended = seedSession(db, { user, device }, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START)).session;
      clock.advance(MINUTE);

      await expect(sut.revoke(actor, ended.id)).resolves.toEqual(ended);
      expect(events.all).toEqual([]);
    });

    it('answers the final state when another request ends the session first', async () => {
      const { user, device, actor } = signedIn();
      const phone = seedSession(db, { user, device }).session;
      db.interleave('UserChangeRepository.lock', (tables) => {
        const row = tables.sessions.get(phone.id);
        if (row) tables.sessions.set(phone.id, { ...row, ...endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START) });
      });

      await expect(sut.revoke(actor, phone.id)).resolves.toMatchObject({
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.LOGOUT,
      });
      expect(events.all).toEqual([]);
    });

    it('answers a run-out session as expired instead of revoking it', async () => {
      const { session, actor } = signedIn();
      clock.advance(IDLE);

      await expect(sut.revoke(actor, session.id)).resolves.toMatchObject({
        status: SessionStatus.EXPIRED,
        endReason: SessionEndReason.IDLE_TIMEOUT,
      });
      expect(events.of('SESSION_ENDED')).toHaveLength(1);
    });

    it('reports another user’s session as missing to a non-administrator, and leaves it alone', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.revoke(actor, other.session.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(sessionRow(db, other.session.id).status).toBe(SessionStatus.ACTIVE);
    });

    it('reports a session that does not exist as missing', async () => {
      const { actor } = signedIn();

      await expect(sut.revoke(actor, 'no-such-session')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('revokeAll', () => {
    it('ends all the caller’s other sessions, keeping the current one, when asked to except it', async () => {
      const { user, device, session, actor } = signedIn();
      const others = [seedSession(db, { user, device }).session, seedSession(db, { user, device }).session];

      await expect(sut.revokeAll(actor, { exceptCurrent: true })).resolves.toBe(2);

      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
      expect(others.map((s) => sessionRow(db, s.id).endReason)).toEqual([
        SessionEndReason.REVOKED_BY_USER,
        SessionEndReason.REVOKED_BY_USER,
      ]);
    });

    it('ends the current session too when not asked to except it', async () => {
      const { user, device, session, actor } = signedIn();
      seedSession(db, { user, device });

      await expect(sut.revokeAll(actor, {})).resolves.toBe(2);
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.REVOKED);
    });

    it('ends every session of another user as REVOKED_BY_ADMIN for an administrator', async () => {
      const other = signedIn();
      seedSession(db, { user: other.user, device: other.device });
      const admin = seedAdmin(db);

      await expect(sut.revokeAll(admin, { userId: other.user.id })).resolves.toBe(2);

      expect(events.of('SESSION_ENDED').map((e) => e.session.endReason)).toEqual([
        SessionEndReason.REVOKED_BY_ADMIN,
        SessionEndReason.REVOKED_BY_ADMIN,
      ]);
      expect(sessionRow(db, admin.sessionId).status).toBe(SessionStatus.ACTIVE);
    });

    it('treats a caller naming their own user id as acting on their own sessions', async () => {
      const { session, actor } = signedIn();

      await expect(sut.revokeAll(actor, { userId: actor.userId, exceptCurrent: true })).resolves.toBe(0);
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
    });

    it('refuses a non-administrator acting on another user’s sessions', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.revokeAll(actor, { userId: other.user.id })).rejects.toMatchObject({ code: 'FORBIDDEN' });
      expect(sessionRow(db, other.session.id).status).toBe(SessionStatus.ACTIVE);
    });
  });

  describe('logout', () => {
    it('ends the caller’s session as LOGOUT and answers true', async () => {
      const { session, actor } = signedIn();

      await expect(sut.logout(actor)).resolves.toBe(true);

      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.REVOKED, endReason: SessionEndReason.LOGOUT });
      expect(events.of('SESSION_ENDED')).toMatchObject([{ session: { id: session.id }, client: PHONE }]);
    });

    it('answers true for a session that had already ended, without another event', async () => {
      const { session, actor } = signedIn();
      await sut.logout(actor);

      await expect(sut.logout(actor)).resolves.toBe(true);
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.LOGOUT);
      expect(events.all).toHaveLength(1);
    });
  });
});
