import { beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { DomainEvents } from '../../../events/domain-events.js';
import { EventBus } from '../../../events/event-bus.js';
import { LocalEventBus } from '../../../events/local-event-bus.js';
import type { AccessTokenClaims } from '../../../kernel/access-token-claims.js';
import { Role } from '../../../kernel/role.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { activityLog, endedSession, seedDevice, seedSession, seedUser, sessionRow, START } from '../../../../test/unit/fixtures.js';
import { InMemoryDatabase, type SessionRow, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemorySessionRepository } from '../../../../test/unit/in-memory-session-repository.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionRepository } from '../data/session.repository.js';
import { UserChangeRepository } from '../data/user-change.repository.js';
import { SessionEndReason, SessionStatus, type Session } from './session.js';
import { SessionAuthenticator } from './session-authenticator.js';
import { activityWriteInterval } from './session-expiry.policy.js';
import { SessionStateCache } from './session-state-cache.js';
import { SessionTerminator } from './session-terminator.js';
import { UserChange } from './user-change.js';

const config = loadConfig({});
const IDLE = config.sessionIdleTimeoutMs;
const WRITE_INTERVAL = activityWriteInterval(IDLE);
const READ = 'SessionRepository.getAuthStates';
const TOUCH = 'SessionRepository.touch';

describe('SessionAuthenticator', () => {
  let sut: SessionAuthenticator;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let cache: SessionStateCache;
  let sessions: InMemorySessionRepository;

  beforeEach(async () => {
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    sessions = new InMemorySessionRepository(db);
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionAuthenticator,
        SessionStateCache,
        SessionTerminator,
        UserChange,
        DomainEvents,
        { provide: EventBus, useClass: LocalEventBus },
        { provide: SessionRepository, useValue: sessions },
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: config },
      ],
    }).compile();
    sut = moduleRef.get(SessionAuthenticator);
    cache = moduleRef.get(SessionStateCache);
    events = new RecordedEvents(moduleRef.get(DomainEvents));
  });

  const signedIn = (overrides: Partial<SessionRow> = {}) => {
    const user = seedUser(db);
    const { session } = seedSession(db, { user, device: seedDevice(db, user) }, overrides);
    return { user, session };
  };

  const claimsFor = (user: UserRow, session: Session, overrides: Partial<AccessTokenClaims> = {}): AccessTokenClaims => ({
    userId: user.id,
    sessionId: session.id,
    roles: user.roles,
    generation: 0,
    tokenId: 'jti-1',
    issuedAt: START,
    expiresAt: new Date(START.getTime() + config.accessTokenTtlMs),
    ...overrides,
  });

  const count = (statement: string) => db.statements.filter((s) => s === statement).length;

  describe('assertActive', () => {
    it('accepts a token of an active session, reading the session once and then from the cache', async () => {
      const { user, session } = signedIn();
      const claims = claimsFor(user, session);

      await expect(sut.assertActive(claims)).resolves.toBe(claims);
      clock.advance(1_000);
      await expect(sut.assertActive(claims)).resolves.toBe(claims);

      expect(count(READ)).toBe(1);
      expect(events.all).toEqual([]);
    });

    it('refuses a token whose session does not exist with UNAUTHENTICATED', async () => {
      const { user, session } = signedIn();

      await expect(sut.assertActive(claimsFor(user, { ...session, id: 'no-such-session' }))).rejects.toMatchObject({
        code: 'UNAUTHENTICATED',
      });
    });

    it('refuses a token of a revoked session with SESSION_REVOKED', async () => {
      const { user, session } = signedIn(endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START));

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    });

    it('refuses a token of an expired session with SESSION_EXPIRED', async () => {
      const { user, session } = signedIn(endedSession(SessionEndReason.ABSOLUTE_TIMEOUT, SessionStatus.EXPIRED, START));

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
    });

    it('refuses a token naming a session of another user with UNAUTHENTICATED', async () => {
      const { session } = signedIn();
      const { user: stranger } = signedIn();

      await expect(sut.assertActive(claimsFor(stranger, session))).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
    });

    it('ends a session idle for the whole timeout and refuses with SESSION_EXPIRED', async () => {
      const { user, session } = signedIn();
      clock.advance(IDLE);

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });

      expect(sessionRow(db, session.id)).toMatchObject({
        status: SessionStatus.EXPIRED,
        endReason: SessionEndReason.IDLE_TIMEOUT,
        endedAt: clock.now(),
      });
      expect(events.of('SESSION_ENDED')).toMatchObject([{ version: 1, session: { id: session.id }, client: undefined }]);
      // No request of the user's caused it: the entry has no address.
      expect(activityLog(db)).toMatchObject([{ type: SessionActivityType.SESSION_EXPIRED, sessionId: session.id, ipAddress: null }]);
    });

    it('ends a session past its absolute lifetime as ABSOLUTE_TIMEOUT, however recently it was used', async () => {
      const { user, session } = signedIn({ expiresAt: new Date(START.getTime() + MINUTE) });
      clock.advance(MINUTE);

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.ABSOLUTE_TIMEOUT);
    });

    it('asks the database before ending a session its cached copy calls idle, since another instance may have seen it used', async () => {
      const { user, session } = signedIn();
      const claims = claimsFor(user, session);
      await sut.assertActive(claims);
      const usedElsewhere = new Date(START.getTime() + 20 * MINUTE);
      db.seed((tables) => tables.sessions.set(session.id, { ...sessionRow(db, session.id), lastActivityAt: usedElsewhere }));
      clock.advance(IDLE);

      await expect(sut.assertActive(claims)).resolves.toBe(claims);

      expect(count(READ)).toBe(2);
      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.ACTIVE, lastActivityAt: clock.now() });
      expect(events.all).toEqual([]);
    });

    it('refuses a session this instance heard had ended, without asking the database', async () => {
      const { user, session } = signedIn();
      cache.markEnded(session.id, SessionStatus.REVOKED);

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
      expect(count(READ)).toBe(0);
    });

    it('keeps a session ended on the bus during its re-read ended, though the database still answers it active', async () => {
      const { user, session } = signedIn();
      const claims = claimsFor(user, session);
      await sut.assertActive(claims);
      db.seed((tables) =>
        tables.sessions.set(session.id, { ...sessionRow(db, session.id), lastActivityAt: new Date(START.getTime() + 20 * MINUTE) }),
      );
      clock.advance(IDLE);
      db.interleave(READ, () => cache.markEnded(session.id, SessionStatus.REVOKED));

      await expect(sut.assertActive(claims)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    });

    it('records activity once the last record is a whole write interval old, and not before', async () => {
      const { user, session } = signedIn();
      const claims = claimsFor(user, session);
      await sut.assertActive(claims);
      clock.advance(WRITE_INTERVAL - 1);

      await sut.assertActive(claims);
      expect(count(TOUCH)).toBe(0);
      expect(sessionRow(db, session.id).lastActivityAt).toEqual(START);

      clock.advance(1);
      await sut.assertActive(claims);
      expect(count(TOUCH)).toBe(1);
      expect(sessionRow(db, session.id).lastActivityAt).toEqual(clock.now());

      // The cached copy moved on with the write: the next request inside the interval writes nothing.
      clock.advance(WRITE_INTERVAL - 1);
      await sut.assertActive(claims);
      expect(count(TOUCH)).toBe(1);
    });

    it('commits the generation on the first request made with a successor’s access token, once', async () => {
      const { user, session } = signedIn({ refreshGeneration: 1, refreshCommittedGeneration: 0, refreshRotatedAt: START });
      const claims = claimsFor(user, session, { generation: 1 });

      await sut.assertActive(claims);
      expect(sessionRow(db, session.id).refreshCommittedGeneration).toBe(1);

      await sut.assertActive(claims);
      expect(count(TOUCH)).toBe(1);
    });

    it('does not write for a token of an already committed generation while activity is recent', async () => {
      const { user, session } = signedIn({ refreshGeneration: 2, refreshCommittedGeneration: 2 });

      await sut.assertActive(claimsFor(user, session, { generation: 1 }));

      expect(count(TOUCH)).toBe(0);
      expect(sessionRow(db, session.id).refreshCommittedGeneration).toBe(2);
    });

    it('answers the roles the database holds now, so that a demotion bites before the token expires', async () => {
      const { user, session } = signedIn();
      const claims = claimsFor(user, session, { roles: [Role.USER, Role.ADMIN] });

      await expect(sut.assertActive(claims)).resolves.toEqual({ ...claims, roles: [Role.USER] });
    });

    it('answers the very claims when the roles are the same in another order', async () => {
      const { user, session } = signedIn();
      db.seed((tables) => tables.users.set(user.id, { ...user, roles: [Role.ADMIN, Role.USER] }));
      const claims = claimsFor(user, session, { roles: [Role.USER, Role.ADMIN] });

      await expect(sut.assertActive(claims)).resolves.toBe(claims);
    });

    it('fails closed: refuses when the session is not cached and the database does not answer', async () => {
      const { user, session } = signedIn();
      db.failNext(READ);

      await expect(sut.assertActive(claimsFor(user, session))).rejects.toThrow('Connection terminated unexpectedly');
    });
  });

  describe('currentStates', () => {
    it('serves fresh cache entries and reads only the rest, once each, in one query, without counting as activity', async () => {
      const a = signedIn();
      const b = signedIn();
      const c = signedIn(endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START));
      await sut.assertActive(claimsFor(a.user, a.session));
      const read = jest.spyOn(sessions, 'getAuthStates');
      clock.advance(WRITE_INTERVAL);

      const states = await sut.currentStates([a.session.id, b.session.id, c.session.id, b.session.id, 'no-such-session']);

      expect(read.mock.calls).toEqual([[[b.session.id, c.session.id, 'no-such-session']]]);
      expect([...states.keys()].sort()).toEqual([a.session.id, b.session.id, c.session.id].sort());
      expect(states.get(b.session.id)).toMatchObject({ userId: b.user.id, status: SessionStatus.ACTIVE });
      expect(states.get(c.session.id)?.status).toBe(SessionStatus.REVOKED);
      expect(count(TOUCH)).toBe(0);
    });

    it('remembers what it read, so that the next look costs no query', async () => {
      const { session } = signedIn();
      await sut.currentStates([session.id]);

      await sut.currentStates([session.id]);

      expect(count(READ)).toBe(1);
    });

    it('reports a session ended on the bus during the read as ended', async () => {
      const { session } = signedIn();
      db.interleave(READ, () => cache.markEnded(session.id, SessionStatus.REVOKED));

      const states = await sut.currentStates([session.id]);

      expect(states.get(session.id)?.status).toBe(SessionStatus.REVOKED);
    });
  });
});
