import { randomBytes, randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from '@jest/globals';
import { Test } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { DataCipher } from '../../../common/data-cipher.js';
import { generateLegacyRefreshToken, hashToken } from '../../../common/opaque-token.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { InMemoryAppSecretRepository } from '../../../../test/unit/in-memory-app-secret-repository.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { DomainEvents } from '../../../events/domain-events.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { FakeTokenSigner } from '../../../../test/unit/fake-token-signer.js';
import {
  activityLog,
  endedSession,
  LAPTOP,
  mintTestRefreshToken,
  outboxRows,
  PHONE,
  seedDevice,
  seedLegacyRefreshToken,
  seedSession,
  seedUser,
  sessionRow,
  START,
} from '../../../../test/unit/fixtures.js';
import { InMemoryDatabase } from '../../../../test/unit/in-memory-database.js';
import { InMemorySessionRepository } from '../../../../test/unit/in-memory-session-repository.js';
import { InMemorySessionRotationRepository } from '../../../../test/unit/in-memory-session-rotation-repository.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { SessionRotationRepository } from '../data/session-rotation.repository.js';
import { SessionRepository } from '../data/session.repository.js';
import { UserChangeRepository } from '../data/user-change.repository.js';
import { SessionEndReason, SessionStatus } from './session.js';
import { SessionLoginThrottle } from './session-login-throttle.js';
import { SessionRefreshService } from './session-refresh.service.js';
import { RefreshTokens } from './refresh-tokens.js';
import { SessionTerminator } from './session-terminator.js';
import { UserChange } from './user-change.js';

const defaults = loadConfig({});
/** The configuration of a service on PostgreSQL (the unit tier's database stays in memory either way). */
const ON_POSTGRES = {
  DATABASE_URL: 'postgres://tessera@db.internal:5432/tessera',
  DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
};
const GRACE = defaults.refreshReuseGraceMs;
const IDLE = defaults.sessionIdleTimeoutMs;

describe('SessionRefreshService', () => {
  let sut: SessionRefreshService;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let signer: FakeTokenSigner;
  let sessions: InMemorySessionRepository;

  async function setUp(env: Record<string, string> = {}): Promise<void> {
    const config = loadConfig(env);
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    signer = new FakeTokenSigner(clock, config.accessTokenTtlMs);
    sessions = new InMemorySessionRepository(db);
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionRefreshService,
        RefreshTokens,
        SessionTerminator,
        UserChange,
        SessionLoginThrottle,
        DomainEvents,
        { provide: SessionRepository, useValue: sessions },
        { provide: SessionRotationRepository, useValue: new InMemorySessionRotationRepository(db) },
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: TokenSigner, useValue: signer },
        { provide: AppSecretRepository, useValue: new InMemoryAppSecretRepository(db) },
        { provide: DataCipher, useValue: new DataCipher(randomBytes(32)) },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: config },
      ],
    }).compile();
    sut = moduleRef.get(SessionRefreshService);
    events = new RecordedEvents(moduleRef.get(DomainEvents));
  }

  beforeEach(() => setUp());

  /** A user signed in a minute ago: their session is at generation 0, `refreshToken` its current token. */
  const signedIn = (overrides: Parameters<typeof seedSession>[2] = {}) => {
    const user = seedUser(db);
    const device = seedDevice(db, user);
    return { user, device, ...seedSession(db, { user, device }, { createdAt: new Date(START.getTime() - MINUTE), ...overrides }) };
  };

  /** What the guard does on the first request with an access token of `generation`: the client proves it holds it. */
  const useAccessTokenOf = (sessionId: string, generation: number) => sessions.touch(sessionId, clock.now(), generation);

  const refreshTokenActivity = (sessionId: string) =>
    [...db.rows.activity.values()].filter((a) => a.sessionId === sessionId && a.type === SessionActivityType.TOKEN_REFRESHED);

  describe('refresh', () => {
    it('refuses the refresh token of a disabled account with ACCOUNT_DISABLED, issuing nothing', async () => {
      const { user, session, refreshToken } = signedIn();
      db.seed((tables) => tables.users.set(user.id, { ...user, disabledAt: START }));

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });

      expect(sessionRow(db, session.id)).toMatchObject({ refreshGeneration: 0 });
      expect(signer.requests).toEqual([]);
    });

    it('rotates the current token: a new refresh token of the next generation, an access token for it, and SESSION_REFRESHED', async () => {
      const { user, device, session, refreshToken } = signedIn();

      const grant = await sut.refresh(refreshToken, LAPTOP);

      expect(grant.refreshOutcome).toBe('rotated');
      expect(grant.refreshToken).toMatch(new RegExp(`^tsr_${session.id}\\.1\\.`));
      expect(grant.refreshToken).not.toBe(refreshToken);
      // The session row holds the new token's hash and its parent's; no row per generation.
      expect(sessionRow(db, session.id)).toMatchObject({
        refreshTokenHash: hashToken(grant.refreshToken),
        refreshParentHash: hashToken(refreshToken),
      });
      expect(db.rows.refreshTokens.size).toBe(0);
      expect(signer.requests).toEqual([
        {
          userId: user.id,
          sessionId: session.id,
          roles: user.roles,
          generation: 1,
          authenticatedAt: session.authenticatedAt,
          authenticationMethod: 'pwd',
          deviceKeyThumbprint: null,
        },
      ]);
      expect(grant).toMatchObject({ accessToken: 'access-1', accessTokenExpiresAt: new Date(START.getTime() + defaults.accessTokenTtlMs) });
      expect(grant.refreshTokenExpiresAt).toEqual(session.expiresAt);
      expect(sessionRow(db, session.id)).toMatchObject({
        refreshGeneration: 1,
        refreshCommittedGeneration: 0,
        refreshRotatedAt: START,
        lastActivityAt: START,
        ipAddress: LAPTOP.ipAddress,
        userAgent: LAPTOP.userAgent,
      });
      expect(events.all).toEqual([
        {
          type: 'SESSION_REFRESHED',
          version: 1,
          session: grant.session,
          device: { ...device, lastSeenAt: START },
          recorded: { hasEarlierActivity: false, ipSeenRecently: false },
          client: LAPTOP,
        },
      ]);
      expect(grant.device).toEqual({ ...device, lastSeenAt: START });
      // The rotation's one statement wrote the entry, the version and the devices' message.
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(1);
      expect(activityLog(db)).toMatchObject([
        { userId: user.id, sessionId: session.id, type: SessionActivityType.TOKEN_REFRESHED, occurredAt: START, ...LAPTOP, details: null },
      ]);
      expect(outboxRows(db)).toEqual([
        {
          userId: user.id,
          version: 1,
          type: 'SESSION_REFRESHED',
          payload: {
            type: 'SESSION_REFRESHED',
            userId: user.id,
            sessionId: session.id,
            version: 1,
            occurredAt: START,
            session: grant.session,
            device: { ...device, lastSeenAt: START },
            alert: null,
          },
          createdAt: START,
          sentAt: null,
        },
      ]);
    });

    it('rotates the successor in turn once it is current', async () => {
      const { refreshToken } = signedIn();
      const first = await sut.refresh(refreshToken, PHONE);
      clock.advance(MINUTE);

      const second = await sut.refresh(first.refreshToken, PHONE);

      expect(second.refreshOutcome).toBe('rotated');
      expect(signer.requests.map((r) => r.generation)).toEqual([1, 2]);
      expect(events.of('SESSION_REFRESHED').map((e) => e.version)).toEqual([1, 2]);
      expect(outboxRows(db).map((row) => [row.version, (row.payload as { version: number }).version])).toEqual([
        [1, 1],
        [2, 2],
      ]);
    });

    it('rotates in two round trips and no transaction of its own on PostgreSQL when nothing else happens: a read, then one write', async () => {
      await setUp(ON_POSTGRES);
      const { session, refreshToken } = signedIn();
      const first = await sut.refresh(refreshToken, PHONE);
      db.statements.splice(0);

      const second = await sut.refresh(first.refreshToken, PHONE);

      expect(second.refreshOutcome).toBe('rotated');
      expect(db.statements).toEqual(['SessionRotationRepository.readForRefresh', 'SessionRotationRepository.rotateIfUnchanged']);
      expect(sessionRow(db, session.id).refreshGeneration).toBe(2);
      expect(outboxRows(db).map((row) => row.version)).toEqual([1, 2]);
    });

    it('on the embedded database, rotates under the locks: its statements run in-process, where round trips cost next to nothing', async () => {
      const { refreshToken } = signedIn();
      db.statements.splice(0);

      await sut.refresh(refreshToken, PHONE);

      expect(db.statements.filter((statement) => statement.startsWith('SessionRotationRepository'))).toEqual([
        'SessionRotationRepository.lockForRefresh',
        'SessionRotationRepository.rotate',
      ]);
    });

    it('decides again under the locks, and rotates once, when another change of the user lands between its read and its write', async () => {
      await setUp(ON_POSTGRES);
      const { session, refreshToken } = signedIn();
      // Another device signs in at that moment: a change of the user's, with its own event version.
      db.interleave('SessionRotationRepository.rotateIfUnchanged', (tables) => {
        const owner = tables.users.get(session.userId)!;
        tables.users.set(owner.id, { ...owner, eventVersion: owner.eventVersion + 1 });
      });

      const grant = await sut.refresh(refreshToken, PHONE);

      expect(grant.refreshOutcome).toBe('rotated');
      expect(db.statements).toEqual(
        expect.arrayContaining([
          'SessionRotationRepository.rotateIfUnchanged',
          'SessionRotationRepository.lockForRefresh',
          'SessionRotationRepository.rotate',
        ]),
      );
      expect(sessionRow(db, session.id).refreshGeneration).toBe(1);
      expect(db.rows.users.get(session.userId)?.eventVersion).toBe(2);
      expect(events.of('SESSION_REFRESHED').map((e) => e.version)).toEqual([2]);
      expect(outboxRows(db).map((row) => [row.version, row.type])).toEqual([[2, 'SESSION_REFRESHED']]);
      expect(refreshTokenActivity(session.id)).toHaveLength(1);
    });

    it('answers as the locks decide when the session ends between its read and its write: refused, nothing rotated', async () => {
      await setUp(ON_POSTGRES);
      const { session, refreshToken } = signedIn();
      db.interleave('SessionRotationRepository.rotateIfUnchanged', (tables) => {
        const row = tables.sessions.get(session.id)!;
        tables.sessions.set(row.id, { ...row, status: SessionStatus.REVOKED, endReason: SessionEndReason.LOGOUT, endedAt: clock.now() });
      });

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });

      expect(sessionRow(db, session.id).refreshGeneration).toBe(0);
      expect(outboxRows(db)).toEqual([]);
      expect(refreshTokenActivity(session.id)).toEqual([]);
      expect(signer.requests).toEqual([]);
    });

    it('keeps the device’s later last-seen time when another instance’s clock runs ahead', async () => {
      const ahead = new Date(START.getTime() + MINUTE);
      const { refreshToken } = signedIn();
      db.seed((tables) => {
        for (const device of tables.devices.values()) tables.devices.set(device.id, { ...device, lastSeenAt: ahead });
      });

      const grant = await sut.refresh(refreshToken, PHONE);

      expect(grant.device.lastSeenAt).toEqual(ahead);
      expect(events.of('SESSION_REFRESHED')[0]?.device.lastSeenAt).toEqual(ahead);
    });

    it('answers a retried parent with the same successor while the app has not used it (its first answer was lost)', async () => {
      const { session, refreshToken } = signedIn();
      const lost = await sut.refresh(refreshToken, PHONE);
      // However late: an uncommitted successor is only replayed, never rotated past.
      clock.advance(IDLE - 1);

      const retried = await sut.refresh(refreshToken, LAPTOP);

      expect(retried).toMatchObject({ refreshOutcome: 'replayed', refreshToken: lost.refreshToken, session: { id: session.id } });
      expect(signer.requests.map((r) => r.generation)).toEqual([1, 1]);
      expect(sessionRow(db, session.id).refreshGeneration).toBe(1);
      expect(events.types).toEqual(['SESSION_REFRESHED']);
      // Recorded where it went, marked a replay so that it does not make the address known.
      expect(refreshTokenActivity(session.id).map((a) => [a.ipAddress, a.details])).toEqual([
        [PHONE.ipAddress, null],
        [LAPTOP.ipAddress, { replayed: true }],
      ]);
    });

    it('answers a parent with the same successor within the grace window even once the successor is in use (racing tabs)', async () => {
      const { session, refreshToken } = signedIn();
      const first = await sut.refresh(refreshToken, PHONE);
      await useAccessTokenOf(session.id, 1);
      clock.advance(GRACE - 1);

      await expect(sut.refresh(refreshToken, PHONE)).resolves.toMatchObject({
        refreshOutcome: 'replayed',
        refreshToken: first.refreshToken,
      });
    });

    it('revokes the whole session when a rotated refresh token comes back after the grace window', async () => {
      const { session, refreshToken } = signedIn();
      const first = await sut.refresh(refreshToken, PHONE);
      await useAccessTokenOf(session.id, 1);
      clock.advance(GRACE);

      await expect(sut.refresh(refreshToken, LAPTOP)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

      const ended = { ...session, ...sessionRowPublic(session.id) };
      expect(sessionRow(db, session.id)).toMatchObject({
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.REFRESH_TOKEN_REUSED,
        endedAt: clock.now(),
        refreshSuccessorCiphertext: null,
      });
      expect(events.all.slice(1)).toMatchObject([
        { type: 'REFRESH_TOKEN_REUSED', session: { id: session.id }, client: LAPTOP },
        { type: 'SESSION_ENDED', version: 2, session: ended, client: LAPTOP },
      ]);
      expect(db.rows.users.get(session.userId)?.eventVersion).toBe(2);
      expect(activityLog(db).map((a) => [a.type, a.sessionId, a.occurredAt, a.ipAddress])).toEqual([
        [SessionActivityType.TOKEN_REFRESHED, session.id, START, PHONE.ipAddress],
        [SessionActivityType.REFRESH_TOKEN_REUSED, session.id, clock.now(), LAPTOP.ipAddress],
        [SessionActivityType.SESSION_REVOKED, session.id, clock.now(), LAPTOP.ipAddress],
      ]);
      // The legitimate holder's successor dies with the session: whoever took a copy gains nothing.
      await expect(sut.refresh(first.refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
      expect(signer.requests).toHaveLength(1);
    });

    it('treats a token two generations old as reuse even while the newest successor is unused', async () => {
      const { session, refreshToken } = signedIn();
      const first = await sut.refresh(refreshToken, PHONE);
      clock.advance(1_000);
      await sut.refresh(first.refreshToken, PHONE);

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.REFRESH_TOKEN_REUSED);
    });

    it('ends a session past its absolute lifetime as ABSOLUTE_TIMEOUT and refuses with SESSION_EXPIRED', async () => {
      const { session, refreshToken } = signedIn({ expiresAt: new Date(START.getTime() + 1) });
      clock.advance(1);

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });

      expect(sessionRow(db, session.id)).toMatchObject({
        status: SessionStatus.EXPIRED,
        endReason: SessionEndReason.ABSOLUTE_TIMEOUT,
        endedAt: clock.now(),
      });
      expect(events.all).toEqual([
        { type: 'SESSION_ENDED', version: 1, session: { ...session, ...sessionRowPublic(session.id) }, client: PHONE },
      ]);
      expect(activityLog(db)).toMatchObject([{ type: SessionActivityType.SESSION_EXPIRED, sessionId: session.id, ...PHONE }]);
      expect(signer.requests).toEqual([]);
    });

    it('ends a session idle for the whole timeout as IDLE_TIMEOUT and refuses with SESSION_EXPIRED', async () => {
      const { session, refreshToken } = signedIn({ lastActivityAt: new Date(START.getTime() - IDLE) });

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.EXPIRED, endReason: SessionEndReason.IDLE_TIMEOUT });
    });

    it('refuses a token of a revoked session with SESSION_REVOKED, changing and publishing nothing', async () => {
      const { session, refreshToken } = signedIn(endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START));

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.LOGOUT);
      expect(events.all).toEqual([]);
    });

    it('refuses a token of an expired session with SESSION_EXPIRED', async () => {
      const { refreshToken } = signedIn(endedSession(SessionEndReason.IDLE_TIMEOUT, SessionStatus.EXPIRED, START));

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_EXPIRED' });
      expect(events.all).toEqual([]);
    });

    it('refuses a well-formed token it never issued with INVALID_REFRESH_TOKEN', async () => {
      signedIn();

      await expect(sut.refresh(generateLegacyRefreshToken(), PHONE)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      await expect(sut.refresh(mintTestRefreshToken(db, randomUUID(), 0), PHONE)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(events.all).toEqual([]);
    });

    it('refuses a malformed token with INVALID_REFRESH_TOKEN before it reaches the database', async () => {
      await expect(sut.refresh('tsr_not-a-token', PHONE)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(db.statements).toEqual([]);
    });

    it('refuses a token of a generation its session never reached with INVALID_REFRESH_TOKEN', async () => {
      const { session } = signedIn();
      const ahead = mintTestRefreshToken(db, session.id, 1);

      await expect(sut.refresh(ahead, PHONE)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.ACTIVE, refreshGeneration: 0 });
    });

    it('refuses a replay whose stored successor another instance has already deleted, recording nothing', async () => {
      const { session, refreshToken } = signedIn();
      await sut.refresh(refreshToken, PHONE);
      db.seed((tables) => tables.sessions.set(session.id, { ...sessionRow(db, session.id), refreshSuccessorCiphertext: null }));

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
      expect(refreshTokenActivity(session.id)).toHaveLength(1);
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
    });

    it('publishes nothing and hands out no token when the rotation does not commit', async () => {
      const { session, refreshToken } = signedIn();
      db.failNextCommit();

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toThrow('Connection terminated unexpectedly');

      expect(sessionRow(db, session.id).refreshGeneration).toBe(0);
      expect(activityLog(db)).toEqual([]);
      expect(outboxRows(db)).toEqual([]);
      expect(db.rows.users.get(session.userId)?.eventVersion).toBe(0);
      expect(events.all).toEqual([]);
      expect(signer.requests).toEqual([]);
    });

    it('publishes nothing when ending a reused session does not commit', async () => {
      const { session, refreshToken } = signedIn();
      await sut.refresh(refreshToken, PHONE);
      await useAccessTokenOf(session.id, 1);
      clock.advance(GRACE);
      db.failNextCommit();

      await expect(sut.refresh(refreshToken, PHONE)).rejects.toThrow('Connection terminated unexpectedly');

      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.TOKEN_REFRESHED]);
      expect(db.rows.users.get(session.userId)?.eventVersion).toBe(1);
      expect(events.types).toEqual(['SESSION_REFRESHED']);
    });

    it.each([
      ['the embedded database', {}],
      ['PostgreSQL (the losers read before the winner wrote)', ON_POSTGRES],
    ] as const)(
      'of many concurrent refreshes with one token, rotates exactly once and replays that successor to the rest, on %s',
      async (_, env) => {
        await setUp(env);
        const { session, refreshToken } = signedIn();

        const grants = await Promise.all(Array.from({ length: 5 }, () => sut.refresh(refreshToken, PHONE)));

        expect(grants.map((g) => g.refreshOutcome).sort()).toEqual(['replayed', 'replayed', 'replayed', 'replayed', 'rotated']);
        expect(new Set(grants.map((g) => g.refreshToken)).size).toBe(1);
        expect(sessionRow(db, session.id).refreshGeneration).toBe(1);
        expect(events.types).toEqual(['SESSION_REFRESHED']);
        expect(outboxRows(db)).toHaveLength(1);
      },
    );

    it('refuses with RATE_LIMITED, before looking at the token, once the address has used its refreshes for the minute', async () => {
      await setUp({ REFRESH_RATE_LIMIT: '1' });
      const { refreshToken } = signedIn();
      await sut.refresh(refreshToken, PHONE);

      await expect(sut.refresh('tsr_not-a-token', PHONE)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      await expect(sut.refresh('tsr_not-a-token', LAPTOP)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
    });
  });

  describe('revoke (RFC 7009)', () => {
    it('ends the session as LOGOUT when its current token is revoked', async () => {
      const { session, refreshToken } = signedIn();

      await expect(sut.revoke(refreshToken, PHONE)).resolves.toBe(true);

      expect(sessionRow(db, session.id)).toMatchObject({
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.LOGOUT,
        endedAt: START,
      });
      expect(events.all).toEqual([
        { type: 'SESSION_ENDED', version: 1, session: { ...session, ...sessionRowPublic(session.id) }, client: PHONE },
      ]);
      expect(activityLog(db)).toMatchObject([{ type: SessionActivityType.LOGOUT, sessionId: session.id, ...PHONE }]);
    });

    it('ends the session as LOGOUT for a parent that refresh would still replay, since the app itself may hold it', async () => {
      const { session, refreshToken } = signedIn();
      await sut.refresh(refreshToken, PHONE);

      await expect(sut.revoke(refreshToken, PHONE)).resolves.toBe(true);
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.LOGOUT);
    });

    it('ends the session as REFRESH_TOKEN_REUSED for a token refresh would call reuse, so that a thief cannot hide the evidence', async () => {
      const { session, refreshToken } = signedIn();
      await sut.refresh(refreshToken, PHONE);
      await useAccessTokenOf(session.id, 1);
      clock.advance(GRACE);

      await expect(sut.revoke(refreshToken, LAPTOP)).resolves.toBe(true);

      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.REFRESH_TOKEN_REUSED);
      expect(events.types.slice(1)).toEqual(['REFRESH_TOKEN_REUSED', 'SESSION_ENDED']);
    });

    it('ends a run-out session with its timeout, as refresh would record it', async () => {
      const { session, refreshToken } = signedIn();
      clock.advance(IDLE);

      await expect(sut.revoke(refreshToken, PHONE)).resolves.toBe(true);
      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.EXPIRED, endReason: SessionEndReason.IDLE_TIMEOUT });
    });

    it('answers true for a token of an ended session, changing and publishing nothing', async () => {
      const { session, refreshToken } = signedIn(endedSession(SessionEndReason.REVOKED_BY_ADMIN, SessionStatus.REVOKED, START));

      await expect(sut.revoke(refreshToken, PHONE)).resolves.toBe(true);
      expect(sessionRow(db, session.id).endReason).toBe(SessionEndReason.REVOKED_BY_ADMIN);
      expect(events.all).toEqual([]);
    });

    it('answers true, ending nothing, for a token of a generation its session never reached', async () => {
      const { session } = signedIn();
      const ahead = mintTestRefreshToken(db, session.id, 1);

      await expect(sut.revoke(ahead, PHONE)).resolves.toBe(true);
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
      expect(events.all).toEqual([]);
    });

    it('answers false for a well-formed token it never issued', async () => {
      signedIn();

      await expect(sut.revoke(generateLegacyRefreshToken(), PHONE)).resolves.toBe(false);
      await expect(sut.revoke(mintTestRefreshToken(db, randomUUID(), 0), PHONE)).resolves.toBe(false);
      expect(events.all).toEqual([]);
    });

    it('answers false for a malformed token without reaching the database', async () => {
      await expect(sut.revoke('not even close', PHONE)).resolves.toBe(false);
      expect(db.statements).toEqual([]);
    });
  });

  describe('flat storage (refresh tokens name their session and generation under a MAC)', () => {
    /** Refreshes `times` times, each with the token the previous one returned, the app using each access token; all the tokens, oldest first. */
    const refreshChain = async (first: string, sessionId: string, times: number): Promise<string[]> => {
      const chain = [first];
      for (let generation = 1; generation <= times; generation++) {
        chain.push((await sut.refresh(chain[chain.length - 1], PHONE)).refreshToken);
        await useAccessTokenOf(sessionId, generation);
        clock.advance(GRACE);
      }
      return chain;
    };

    it('keeps one session row and no token rows however often the session refreshes', async () => {
      const { session, refreshToken } = signedIn();

      const chain = await refreshChain(refreshToken, session.id, 12);

      expect(db.rows.refreshTokens.size).toBe(0);
      expect(sessionRow(db, session.id)).toMatchObject({
        refreshGeneration: 12,
        refreshTokenHash: hashToken(chain[12]),
        refreshParentHash: hashToken(chain[11]),
      });
    });

    it('ends the session when a token several generations old comes back, and then refuses the current one', async () => {
      const { session, refreshToken } = signedIn();
      const chain = await refreshChain(refreshToken, session.id, 5);

      await expect(sut.refresh(chain[2], LAPTOP)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });

      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.REVOKED, endReason: SessionEndReason.REFRESH_TOKEN_REUSED });
      await expect(sut.refresh(chain[5], PHONE)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    });

    it('refuses forged tokens with INVALID_REFRESH_TOKEN and changes nothing: a wrong MAC, a changed generation, another session', async () => {
      const { session, refreshToken } = signedIn();
      const chain = await refreshChain(refreshToken, session.id, 3);
      const other = signedIn();
      const before = sessionRow(db, session.id);
      const publishedBefore = events.all.length;
      const [prefix, generation, secret, mac] = chain[3].split('.');
      const flipped = (mac[0] === 'A' ? 'B' : 'A') + mac.slice(1);
      const forgeries = [
        // The current token with its MAC altered.
        [prefix, generation, secret, flipped].join('.'),
        // The current token renumbered to an earlier generation: were it believed, it would end the session as reuse.
        [prefix, '1', secret, mac].join('.'),
        [prefix, '0', secret, mac].join('.'),
        // ... or to the next one.
        [prefix, '4', secret, mac].join('.'),
        // Another session's token moved onto this session.
        other.refreshToken.replace(other.session.id, session.id),
        // A token with a valid MAC for the current generation that this session never stored (a rotation that never committed).
        mintTestRefreshToken(db, session.id, 3),
        mintTestRefreshToken(db, session.id, 2),
      ];

      for (const forged of forgeries) {
        await expect(sut.refresh(forged, LAPTOP)).rejects.toMatchObject({ code: 'INVALID_REFRESH_TOKEN' });
        // Not ours, as RFC 7009 answers anything unknown: nothing is ended.
        await expect(sut.revoke(forged, LAPTOP)).resolves.toBe(false);
      }

      expect(sessionRow(db, session.id)).toEqual(before);
      expect(sessionRow(db, other.session.id).status).toBe(SessionStatus.ACTIVE);
      expect(events.all.slice(publishedBefore)).toEqual([]);
      await expect(sut.refresh(chain[3], PHONE)).resolves.toMatchObject({ refreshOutcome: 'rotated' });
    });

    it('refreshes a legacy-format token once into a current-format successor, and still detects its reuse', async () => {
      const { session } = signedIn({ refreshGeneration: 4, refreshCommittedGeneration: 4, refreshTokenHash: null });
      const olderLegacy = seedLegacyRefreshToken(db, session.id, 3);
      const legacy = seedLegacyRefreshToken(db, session.id, 4);

      const grant = await sut.refresh(legacy, PHONE);

      expect(grant).toMatchObject({
        refreshOutcome: 'rotated',
        refreshToken: expect.stringMatching(new RegExp(`^tsr_${session.id}\\.5\\.`)),
      });
      expect(sessionRow(db, session.id)).toMatchObject({
        refreshGeneration: 5,
        refreshTokenHash: hashToken(grant.refreshToken),
        refreshParentHash: null,
      });
      // Nothing new in the legacy table: the successor's hash is on the session row only.
      expect(db.rows.refreshTokens.size).toBe(2);
      // The legacy parent, retried while its answer may have been lost, gets the same successor.
      await expect(sut.refresh(legacy, PHONE)).resolves.toMatchObject({ refreshOutcome: 'replayed', refreshToken: grant.refreshToken });

      await useAccessTokenOf(session.id, 5);
      clock.advance(GRACE);
      await expect(sut.refresh(olderLegacy, LAPTOP)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      expect(sessionRow(db, session.id)).toMatchObject({ status: SessionStatus.REVOKED, endReason: SessionEndReason.REFRESH_TOKEN_REUSED });
    });

    it('detects reuse of the legacy parent once its grace has passed', async () => {
      const { session } = signedIn({ refreshTokenHash: null });
      const legacy = seedLegacyRefreshToken(db, session.id, 0);
      const grant = await sut.refresh(legacy, PHONE);
      await useAccessTokenOf(session.id, 1);
      clock.advance(GRACE);

      await expect(sut.refresh(legacy, LAPTOP)).rejects.toMatchObject({ code: 'REFRESH_TOKEN_REUSED' });
      await expect(sut.refresh(grant.refreshToken, PHONE)).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    });
  });

  /** The public columns of the session as stored now (what SESSION_COLUMNS selects). */
  function sessionRowPublic(sessionId: string) {
    const { status, endReason, endedAt, lastActivityAt, ipAddress, userAgent } = sessionRow(db, sessionId);
    return { status, endReason, endedAt, lastActivityAt, ipAddress, userAgent };
  }
});
