import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { hashToken } from '../../../common/opaque-token.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { DomainEvents } from '../../../events/domain-events.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { FakeTokenSigner } from '../../../../test/unit/fake-token-signer.js';
import { FastPasswordHasher } from '../../../../test/unit/fast-password-hasher.js';
import { activityLog, DAY, LAPTOP, PHONE, seedDevice, seedSession, seedUser, sessionRow, START } from '../../../../test/unit/fixtures.js';
import { InMemoryAppSecretRepository } from '../../../../test/unit/in-memory-app-secret-repository.js';
import { InMemoryDatabase, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemoryDeviceRepository } from '../../../../test/unit/in-memory-device-repository.js';
import { InMemorySessionRepository } from '../../../../test/unit/in-memory-session-repository.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { InMemoryUserRepository } from '../../../../test/unit/in-memory-user-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { DeviceRepository } from '../../device/data/device.repository.js';
import { DeviceType, type DeviceDescription } from '../../device/domain/device.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { TokenSigner } from '../../token/domain/token-signer.js';
import { UserRepository } from '../../user/data/user.repository.js';
import { PasswordHasher } from '../../user/domain/password-hasher.js';
import { RegistrationThrottle } from '../../user/domain/registration-throttle.js';
import { UserService } from '../../user/domain/user.service.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionRepository } from '../data/session.repository.js';
import { UserChangeRepository } from '../data/user-change.repository.js';
import { SessionEndReason, SessionStatus } from './session.js';
import { SessionCredentialCheck } from './session-credential-check.js';
import { SessionLoginService } from './session-login.service.js';
import { RefreshTokens } from './refresh-tokens.js';
import { SessionLoginThrottle } from './session-login-throttle.js';
import { SessionTerminator } from './session-terminator.js';
import { UserChange } from './user-change.js';

const PASSWORD = 'correct horse battery staple';
const IPHONE: DeviceDescription = {
  deviceId: 'install-7f3a',
  type: DeviceType.IOS,
  name: 'iPhone',
  model: 'iPhone15,2',
  osVersion: '18.1',
  appVersion: '3.2.0',
};
const PIXEL: DeviceDescription = { deviceId: 'install-91c0', type: DeviceType.ANDROID, name: 'Pixel', model: 'Pixel 9' };

describe('SessionLoginService', () => {
  let sut: SessionLoginService;
  const started: TestingModule[] = [];
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let signer: FakeTokenSigner;
  let user: UserRow;
  let config: ReturnType<typeof loadConfig>;
  let hasher: FastPasswordHasher;

  async function setUp(env: Record<string, string> = {}): Promise<void> {
    config = loadConfig(env);
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    signer = new FakeTokenSigner(clock, config.accessTokenTtlMs);
    hasher = new FastPasswordHasher();
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionLoginService,
        RefreshTokens,
        SessionCredentialCheck,
        SessionTerminator,
        UserChange,
        SessionLoginThrottle,
        UserService,
        RegistrationThrottle,
        DeviceService,
        DomainEvents,
        { provide: SessionRepository, useValue: new InMemorySessionRepository(db) },
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: DeviceRepository, useValue: new InMemoryDeviceRepository(db) },
        { provide: AppSecretRepository, useValue: new InMemoryAppSecretRepository(db) },
        { provide: UserRepository, useValue: new InMemoryUserRepository(db) },
        { provide: PasswordHasher, useValue: hasher },
        { provide: TokenSigner, useValue: signer },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: config },
      ],
    }).compile();
    // DeviceService loads its fingerprint key when the module starts.
    await moduleRef.init();
    started.push(moduleRef);
    sut = moduleRef.get(SessionLoginService);
    events = new RecordedEvents(moduleRef.get(DomainEvents));
    user = seedUser(db, { password: PASSWORD });
  }

  beforeEach(() => setUp());
  afterEach(async () => {
    for (const moduleRef of started.splice(0)) await moduleRef.close();
  });

  const logIn = (description: DeviceDescription = IPHONE, client = PHONE) =>
    sut.create({ email: user.email, password: PASSWORD }, description, client);

  it('opens a session on a new device: generation-0 tokens, the untrusted lifetime, DEVICE_REGISTERED then SESSION_CREATED', async () => {
    const grant = await logIn();

    expect(grant.session).toEqual({
      id: grant.session.id,
      userId: user.id,
      deviceId: grant.device.id,
      status: SessionStatus.ACTIVE,
      endReason: null,
      createdAt: START,
      authenticatedAt: START,
      deviceKeyThumbprint: null,
      authenticationMethod: 'pwd',
      lastActivityAt: START,
      expiresAt: new Date(START.getTime() + config.refreshTokenTtlMs),
      endedAt: null,
      ipAddress: PHONE.ipAddress,
      userAgent: PHONE.userAgent,
    });
    expect(grant.device).toMatchObject({ userId: user.id, type: DeviceType.IOS, name: 'iPhone', trusted: false, firstSeenAt: START });
    expect(grant.user).toEqual({ id: user.id, email: user.email, roles: user.roles, createdAt: user.createdAt, disabledAt: null });
    // Generation 0 of this session, under the service's MAC; its hash on the session row and nowhere else.
    expect(grant.refreshToken).toMatch(new RegExp(`^tsr_${grant.session.id}\\.0\\.[\\w-]{43}\\.[\\w-]{43}$`));
    expect(sessionRow(db, grant.session.id)).toMatchObject({ refreshTokenHash: hashToken(grant.refreshToken), refreshParentHash: null });
    expect(db.rows.refreshTokens.size).toBe(0);
    expect(grant.refreshTokenExpiresAt).toEqual(grant.session.expiresAt);
    expect(signer.requests).toEqual([
      {
        userId: user.id,
        sessionId: grant.session.id,
        roles: user.roles,
        generation: 0,
        authenticatedAt: START,
        authenticationMethod: 'pwd',
        deviceKeyThumbprint: null,
      },
    ]);
    expect(grant).toMatchObject({ accessToken: 'access-1', accessTokenExpiresAt: new Date(START.getTime() + config.accessTokenTtlMs) });
    expect(events.all).toEqual([
      { type: 'DEVICE_REGISTERED', device: grant.device, client: PHONE },
      { type: 'SESSION_CREATED', version: 1, session: grant.session, device: grant.device, client: PHONE },
    ]);
    expect(db.rows.users.get(user.id)?.eventVersion).toBe(1);
    // Written in the login's own transaction, in the order they happened.
    expect(activityLog(db)).toMatchObject([
      { type: SessionActivityType.DEVICE_REGISTERED, sessionId: null, ipAddress: PHONE.ipAddress, details: { deviceId: grant.device.id } },
      { type: SessionActivityType.SESSION_CREATED, sessionId: grant.session.id, ipAddress: PHONE.ipAddress, occurredAt: START },
    ]);
  });

  it('recognises a device it has seen before: the same device, and no DEVICE_REGISTERED', async () => {
    const first = await logIn();
    clock.advance(MINUTE);

    const second = await logIn({ ...IPHONE, osVersion: '18.2' });

    expect(second.device).toMatchObject({ id: first.device.id, osVersion: '18.2', lastSeenAt: clock.now() });
    expect(events.types).toEqual(['DEVICE_REGISTERED', 'SESSION_CREATED', 'SESSION_CREATED']);
    expect(events.of('SESSION_CREATED').map((e) => e.version)).toEqual([1, 2]);
  });

  it('gives a session on a device its owner trusts the trusted lifetime', async () => {
    const first = await logIn();
    db.seed((tables) => {
      const device = tables.devices.get(first.device.id);
      if (device) tables.devices.set(device.id, { ...device, trusted: true, trustedAt: START });
    });

    const second = await logIn();

    expect(second.session.expiresAt).toEqual(new Date(START.getTime() + config.trustedDeviceRefreshTokenTtlMs));
    expect(config.trustedDeviceRefreshTokenTtlMs).toBeGreaterThan(config.refreshTokenTtlMs);
  });

  it('at the session limit, ends the least recently active session first and reports SESSION_LIMIT_REACHED', async () => {
    await setUp({ MAX_SESSIONS_PER_USER: '2' });
    const tablet = seedDevice(db, user);
    const older = seedSession(db, { user, device: tablet }, { lastActivityAt: new Date(START.getTime() - 2 * MINUTE) }).session;
    const newer = seedSession(db, { user, device: tablet }, { lastActivityAt: new Date(START.getTime() - MINUTE) }).session;

    const grant = await logIn(PIXEL, LAPTOP);

    expect(sessionRow(db, older.id)).toMatchObject({
      status: SessionStatus.REVOKED,
      endReason: SessionEndReason.SESSION_LIMIT,
      endedAt: START,
    });
    expect(sessionRow(db, newer.id).status).toBe(SessionStatus.ACTIVE);
    const [ended] = events.of('SESSION_ENDED');
    expect(events.types).toEqual(['DEVICE_REGISTERED', 'SESSION_ENDED', 'SESSION_LIMIT_REACHED', 'SESSION_CREATED']);
    expect(ended).toMatchObject({ version: 1, session: { id: older.id }, client: LAPTOP });
    expect(events.of('SESSION_CREATED')).toMatchObject([{ version: 2, session: { id: grant.session.id } }]);
    expect(events.of('SESSION_LIMIT_REACHED')).toEqual([
      { type: 'SESSION_LIMIT_REACHED', userId: user.id, endedSessions: [ended?.session], client: LAPTOP },
    ]);
    expect(activityLog(db).map((a) => [a.type, a.sessionId])).toEqual([
      [SessionActivityType.DEVICE_REGISTERED, null],
      [SessionActivityType.SESSION_REVOKED, older.id],
      [SessionActivityType.SESSION_CREATED, grant.session.id],
    ]);
  });

  it('does not count sessions already idle or past their lifetime toward the limit', async () => {
    await setUp({ MAX_SESSIONS_PER_USER: '2' });
    const tablet = seedDevice(db, user);
    const live = seedSession(db, { user, device: tablet }).session;
    const idle = seedSession(
      db,
      { user, device: tablet },
      { lastActivityAt: new Date(START.getTime() - config.sessionIdleTimeoutMs) },
    ).session;
    const outlived = seedSession(
      db,
      { user, device: tablet },
      { createdAt: new Date(START.getTime() - 7 * DAY), expiresAt: START },
    ).session;

    await logIn();

    expect([live, idle, outlived].map((s) => sessionRow(db, s.id).status)).toEqual([
      SessionStatus.ACTIVE,
      SessionStatus.ACTIVE,
      SessionStatus.ACTIVE,
    ]);
    expect(events.types).toEqual(['DEVICE_REGISTERED', 'SESSION_CREATED']);
  });

  it('leaves no device and no session behind, and publishes nothing, when the login does not commit', async () => {
    db.failNextCommit();

    await expect(logIn()).rejects.toThrow('Connection terminated unexpectedly');

    expect(db.rows.devices.size).toBe(0);
    expect(db.rows.sessions.size).toBe(0);
    expect(activityLog(db)).toEqual([]);
    expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
    expect(events.all).toEqual([]);
    expect(signer.requests).toEqual([]);
  });

  it('refuses a disabled account with ACCOUNT_DISABLED once the password is right, opening nothing', async () => {
    db.seed((tables) => tables.users.set(user.id, { ...user, disabledAt: START }));

    await expect(logIn()).rejects.toMatchObject({ code: 'ACCOUNT_DISABLED' });
    // The wrong password still answers what it answers for everyone: the code tells a guesser nothing.
    await expect(sut.create({ email: user.email, password: 'not the password' }, IPHONE, PHONE)).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
    });

    expect(db.rows.devices.size).toBe(0);
    expect(db.rows.sessions.size).toBe(0);
    expect(signer.requests).toEqual([]);
  });

  describe('checking the credentials (SessionCredentialCheck)', () => {
    const LIMIT = loadConfig({}).loginMaxFailures;

    const attempt = (email: string, password: string, client = PHONE) => sut.create({ email, password }, IPHONE, client);

    const wrongGuesses = async (count: number, email = user.email) => {
      for (let i = 0; i < count; i++) {
        await expect(attempt(email, `guess ${i}`)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      }
    };

    it('refuses a wrong password with INVALID_CREDENTIALS and reports LOGIN_FAILED on the account', async () => {
      await expect(attempt(user.email, 'nope')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });

      expect(events.all).toEqual([{ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: PHONE }]);
      // Recorded before the refusal is answered, in a change of its own that takes no version.
      expect(activityLog(db)).toMatchObject([
        { userId: user.id, type: SessionActivityType.LOGIN_FAILED, ...PHONE, details: { reason: 'INVALID_CREDENTIALS' } },
      ]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
      expect(db.statements.filter((statement) => /^(Session|Device)/.test(statement))).toEqual([]);
      expect(signer.requests).toEqual([]);
    });

    it('refuses an address with no account with INVALID_CREDENTIALS, and has no account to report it on', async () => {
      await expect(attempt('nobody@example.com', PASSWORD)).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });

      expect(events.all).toEqual([]);
      expect(activityLog(db)).toEqual([]);
      // The decoy check: the time taken does not tell a missing account from a wrong password.
      expect(hasher.verifications).toBe(1);
    });

    it('sends as many statements, in as many transactions, for an address with no account as for a wrong password', async () => {
      db.statements.splice(0);
      const before = db.transactionsBegun;
      await expect(attempt(user.email, 'nope')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });
      const forAccount = db.statements.splice(0);
      const transactionsForAccount = db.transactionsBegun - before;

      await expect(attempt('nobody@example.com', 'nope')).rejects.toMatchObject({ code: 'INVALID_CREDENTIALS' });

      expect(db.statements).toHaveLength(forAccount.length);
      expect(db.transactionsBegun - before - transactionsForAccount).toBe(transactionsForAccount);
      expect(activityLog(db)).toHaveLength(1);
    });

    it('reports BRUTE_FORCE_DETECTED once, with the count, on the failure that locks the account', async () => {
      await wrongGuesses(LIMIT - 1);
      expect(events.of('BRUTE_FORCE_DETECTED')).toEqual([]);

      await wrongGuesses(1);

      expect(events.of('BRUTE_FORCE_DETECTED')).toEqual([
        { type: 'BRUTE_FORCE_DETECTED', userId: user.id, failures: LIMIT, client: PHONE },
      ]);
      expect(events.of('LOGIN_FAILED')).toHaveLength(LIMIT);
    });

    it('refuses a locked account with RATE_LIMITED without looking at the password, even the right one', async () => {
      await wrongGuesses(LIMIT);
      const checked = hasher.verifications;

      await expect(attempt(user.email, PASSWORD)).rejects.toMatchObject({ code: 'RATE_LIMITED' });

      expect(hasher.verifications).toBe(checked);
      expect(events.of('BRUTE_FORCE_DETECTED')).toHaveLength(1);
    });

    it('keys the limit on the client’s address too: guesses from one address do not lock the owner out elsewhere', async () => {
      await wrongGuesses(LIMIT);

      await expect(attempt(user.email, PASSWORD, LAPTOP)).resolves.toMatchObject({ user: { id: user.id } });
    });

    it('counts failures on one account however its address is typed', async () => {
      await wrongGuesses(LIMIT - 1, user.email.toUpperCase());
      await wrongGuesses(1, ` ${user.email} `);

      expect(events.of('BRUTE_FORCE_DETECTED')).toHaveLength(1);
    });

    it('starts the count again after the right password from the same address', async () => {
      await wrongGuesses(LIMIT - 1);
      await attempt(user.email, PASSWORD);

      await wrongGuesses(LIMIT - 1);
      expect(events.of('BRUTE_FORCE_DETECTED')).toEqual([]);
      await wrongGuesses(1);
      expect(events.of('BRUTE_FORCE_DETECTED')).toHaveLength(1);
    });

    it('locks an address with no account like any other, raising nothing about it', async () => {
      await wrongGuesses(LIMIT, 'nobody@example.com');

      await expect(attempt('nobody@example.com', PASSWORD)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
      expect(events.all).toEqual([]);
    });

    it('passes on a database failure during the check and does not count it as a failed guess', async () => {
      db.failNext('UserRepository.getWithPasswordByEmail');

      await expect(attempt(user.email, PASSWORD)).rejects.toThrow('Connection terminated unexpectedly');
      expect(events.all).toEqual([]);

      // Had the check counted, the account would lock one guess early; had it kept its point, the
      // last guess would queue behind it and be refused instead of answered.
      await wrongGuesses(LIMIT - 1);
      expect(events.of('BRUTE_FORCE_DETECTED')).toEqual([]);
      await wrongGuesses(1);
      expect(events.of('BRUTE_FORCE_DETECTED')).toMatchObject([{ failures: LIMIT }]);
    });
  });
});
