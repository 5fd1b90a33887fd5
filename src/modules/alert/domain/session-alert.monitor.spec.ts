import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { Test, type TestingModule } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { DomainEvents } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { activityLog, DAY, LAPTOP, PHONE, seedDevice, seedSession, seedUser, START } from '../../../../test/unit/fixtures.js';
import { InMemoryAppSecretRepository } from '../../../../test/unit/in-memory-app-secret-repository.js';
import { InMemoryDatabase, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemoryDeviceRepository } from '../../../../test/unit/in-memory-device-repository.js';
import { InMemorySessionActivityRepository } from '../../../../test/unit/in-memory-session-activity-repository.js';
import { InMemorySessionAlertRepository } from '../../../../test/unit/in-memory-session-alert-repository.js';
import { InMemoryUserChangeRepository } from '../../../../test/unit/in-memory-user-change-repository.js';
import { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { SessionActivityRepository } from '../../activity/data/session-activity.repository.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionActivityService } from '../../activity/domain/session-activity.service.js';
import { DeviceRepository } from '../../device/data/device.repository.js';
import { DeviceType, type Device, type DeviceDescription } from '../../device/domain/device.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { UserChangeRepository } from '../../session/data/user-change.repository.js';
import { SessionEndReason, SessionStatus, type Session } from '../../session/domain/session.js';
import { UserChange, type ChangeScope } from '../../session/domain/user-change.js';
import { SessionAlertRepository } from '../data/session-alert.repository.js';
import { SessionAlertType } from './session-alert.js';
import { SessionAlertMonitor } from './session-alert.monitor.js';
import { ALERT_FOLD_WINDOW_MS } from './session-alert.rules.js';
import { SessionAlertService } from './session-alert.service.js';

const PIXEL: DeviceDescription = { deviceId: 'install-91c0', type: DeviceType.ANDROID, name: 'Pixel', model: 'Pixel 9' };
const TABLET: DeviceDescription = { deviceId: 'install-5b2e', type: DeviceType.ANDROID, name: 'Tab', model: 'Galaxy Tab' };

describe('SessionAlertMonitor', () => {
  let moduleRef: TestingModule;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let userChange: UserChange;
  let devices: DeviceService;
  let events: RecordedEvents;
  let user: UserRow;

  beforeEach(async () => {
    db = new InMemoryDatabase();
    clock = new ManualClock(START);
    moduleRef = await Test.createTestingModule({
      providers: [
        SessionAlertMonitor,
        SessionActivityService,
        SessionAlertService,
        DeviceService,
        UserChange,
        DomainEvents,
        { provide: SessionActivityRepository, useValue: new InMemorySessionActivityRepository(db) },
        { provide: SessionAlertRepository, useValue: new InMemorySessionAlertRepository(db) },
        { provide: UserChangeRepository, useValue: new InMemoryUserChangeRepository(db) },
        { provide: DeviceRepository, useValue: new InMemoryDeviceRepository(db) },
        { provide: AppSecretRepository, useValue: new InMemoryAppSecretRepository(db) },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: loadConfig({}) },
      ],
    }).compile();
    // The monitor joins UserChange when the module starts (and DeviceService loads its key).
    await moduleRef.init();
    userChange = moduleRef.get(UserChange);
    devices = moduleRef.get(DeviceService);
    events = new RecordedEvents(moduleRef.get(DomainEvents));
    user = seedUser(db);
  });

  afterEach(() => moduleRef.close());

  const alerts = () => [...db.rows.alerts.values()];
  const versionOf = () => db.rows.users.get(user.id)?.eventVersion;

  /** One change of the user's, as the services run them; the monitor joins it before it records. */
  const change = <T>(client: ClientInfo | undefined, work: (change: ChangeScope) => Promise<T>) => userChange.run(user.id, client, work);

  /** The device part of a login (SessionLoginService): recognised in the change, DEVICE_REGISTERED when new. */
  const registerDevice = (description: DeviceDescription, client: ClientInfo): Promise<Device> =>
    change(client, async (c) => {
      const { device, isNew } = await devices.recognise(c.tx, user.id, description, c.now);
      if (isNew) c.emit({ type: 'DEVICE_REGISTERED', device, client });
      return device;
    });

  /** The session part of a login: SESSION_CREATED for a session opened at `at`. */
  const logIn = (client: ClientInfo | undefined, at: Date = clock.now()): Promise<Session> => {
    const device = seedDevice(db, user);
    const { session } = seedSession(db, { user, device }, { createdAt: at });
    return change(client, async (c) => {
      c.emit({ type: 'SESSION_CREATED', version: c.nextVersion(), session, device, client });
      return session;
    });
  };

  /** Earlier use of the account, as the log holds it. */
  const usedFrom = (client: ClientInfo, at: Date) =>
    db.seed((tables) => {
      const id = randomUUID();
      tables.activity.set(id, {
        id,
        userId: user.id,
        sessionId: null,
        type: SessionActivityType.SESSION_CREATED,
        occurredAt: at,
        ...client,
        details: null,
      });
    });

  const bruteForce = () =>
    change(LAPTOP, async (c) => c.emit({ type: 'BRUTE_FORCE_DETECTED', userId: user.id, failures: 5, client: LAPTOP }));

  const revokedByAdmin = (): Session => ({
    ...seedSession(db, { user, device: seedDevice(db, user) }).session,
    status: SessionStatus.REVOKED,
    endReason: SessionEndReason.REVOKED_BY_ADMIN,
    endedAt: START,
  });

  describe('DEVICE_REGISTERED', () => {
    it('raises NEW_DEVICE in the change that registered a device beside ones the user already had', async () => {
      seedDevice(db, user);
      const transactionsBefore = db.transactionsBegun;

      const device = await registerDevice(PIXEL, LAPTOP);

      expect(db.transactionsBegun - transactionsBefore).toBe(1);
      expect(alerts()).toMatchObject([
        {
          userId: user.id,
          type: SessionAlertType.NEW_DEVICE,
          occurrences: 1,
          details: { deviceId: device.id, ipAddress: LAPTOP.ipAddress },
        },
      ]);
      // The alert is delivered, and logged, as coming from the request that caused it.
      expect(events.all).toMatchObject([
        { type: 'DEVICE_REGISTERED', device: { id: device.id }, client: LAPTOP },
        { type: 'ALERT_RAISED', version: 1, alert: { type: SessionAlertType.NEW_DEVICE }, client: LAPTOP },
      ]);
      expect(versionOf()).toBe(1);
      expect(activityLog(db).map((a) => [a.type, a.ipAddress])).toEqual([
        [SessionActivityType.DEVICE_REGISTERED, LAPTOP.ipAddress],
        [SessionActivityType.ALERT_RAISED, LAPTOP.ipAddress],
      ]);
    });

    it('raises nothing for the user’s first device, and still records it', async () => {
      await registerDevice(PIXEL, PHONE);

      expect(alerts()).toEqual([]);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.DEVICE_REGISTERED]);
      expect(versionOf()).toBe(0);
    });

    it('raises nothing when a known device signs in again', async () => {
      seedDevice(db, user);
      await registerDevice(PIXEL, LAPTOP);

      await registerDevice(PIXEL, LAPTOP);

      expect(alerts()).toHaveLength(1);
      expect(events.types).toEqual(['DEVICE_REGISTERED', 'ALERT_RAISED']);
    });

    it('raises an alert of its own for each new device, even within the fold window: each is a cause of its own', async () => {
      seedDevice(db, user);
      const pixel = await registerDevice(PIXEL, LAPTOP);
      clock.advance(MINUTE);

      const tablet = await registerDevice(TABLET, LAPTOP);

      expect(alerts().map((a) => [a.type, a.details?.deviceId, a.occurrences])).toEqual([
        [SessionAlertType.NEW_DEVICE, pixel.id, 1],
        [SessionAlertType.NEW_DEVICE, tablet.id, 1],
      ]);
      expect(events.of('ALERT_RAISED').map((e) => e.version)).toEqual([1, 2]);
    });

    it('leaves neither the device nor its alert when the change does not commit', async () => {
      seedDevice(db, user);
      db.failNextCommit();

      await expect(registerDevice(PIXEL, LAPTOP)).rejects.toThrow('Connection terminated unexpectedly');

      expect(db.rows.devices.size).toBe(1);
      expect(alerts()).toEqual([]);
      expect(activityLog(db)).toEqual([]);
      expect(versionOf()).toBe(0);
      expect(events.all).toEqual([]);
    });
  });

  describe('folding', () => {
    it('folds a repeat of the same cause within the window into the first alert, taking no version and writing no entry', async () => {
      await bruteForce();
      clock.advance(ALERT_FOLD_WINDOW_MS - 1);

      await bruteForce();

      expect(alerts()).toMatchObject([{ type: SessionAlertType.BRUTE_FORCE, occurrences: 2, lastOccurredAt: clock.now() }]);
      expect(events.of('ALERT_RAISED')).toMatchObject([{ version: 1 }]);
      expect(versionOf()).toBe(1);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.ALERT_RAISED]);
    });

    it('raises a new alert once the window has passed', async () => {
      await bruteForce();
      clock.advance(ALERT_FOLD_WINDOW_MS);

      await bruteForce();

      expect(alerts().map((a) => a.occurrences)).toEqual([1, 1]);
      expect(events.of('ALERT_RAISED').map((e) => e.version)).toEqual([1, 2]);
    });
  });

  describe('SESSION_CREATED', () => {
    it('raises NEW_IP_ADDRESS for a login from an address the log has not seen, not counting the login itself', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));

      const session = await logIn(PHONE);

      expect(alerts()).toMatchObject([
        { type: SessionAlertType.NEW_IP_ADDRESS, sessionId: session.id, details: { ipAddress: PHONE.ipAddress } },
      ]);
      expect(events.all.map((e) => [e.type, 'version' in e ? e.version : undefined])).toEqual([
        ['SESSION_CREATED', 1],
        ['ALERT_RAISED', 2],
      ]);
      // Both entries commit with the login, the login's first.
      expect(activityLog(db).map((a) => a.type)).toEqual([
        SessionActivityType.SESSION_CREATED,
        SessionActivityType.SESSION_CREATED,
        SessionActivityType.ALERT_RAISED,
      ]);
    });

    it('raises nothing for a login from an address the user used recently', async () => {
      usedFrom(PHONE, new Date(START.getTime() - DAY));

      await logIn(PHONE);

      expect(alerts()).toEqual([]);
    });

    it('raises nothing for the user’s very first login, and records it', async () => {
      await logIn(PHONE);

      expect(alerts()).toEqual([]);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.SESSION_CREATED]);
    });

    it('records a login that carries no client, raising nothing', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));

      await logIn(undefined);

      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.SESSION_CREATED, SessionActivityType.SESSION_CREATED]);
      expect(alerts()).toEqual([]);
    });

    it('finds a login that committed before it: two logins from a new address at once raise one alert, for the first', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));

      // The user's lock puts one after the other; the second asks the log after the first committed.
      const [first] = await Promise.all([logIn(PHONE, START), logIn(PHONE, new Date(START.getTime() + MINUTE))]);

      expect(alerts()).toMatchObject([{ type: SessionAlertType.NEW_IP_ADDRESS, sessionId: first.id, occurrences: 1 }]);
    });
  });

  describe('SESSION_REFRESHED', () => {
    it('judges a refresh by what its own statement recorded, without asking the log again', async () => {
      // The log would call the address known; the refresh saw it before its own entry, and did not.
      usedFrom(PHONE, START);
      const session = seedSession(db, { user, device: seedDevice(db, user) }).session;
      const device = seedDevice(db, user);

      // As SessionRefreshService does: the rotation locked the user and took version 1 itself.
      const published = await db.transaction(async (tx) => {
        await new InMemoryUserChangeRepository(db).lock(tx, user.id);
        return userChange.within(tx, { userId: user.id, version: 1, now: clock.now(), client: PHONE }, (c) =>
          c.emitWritten({
            type: 'SESSION_REFRESHED',
            version: 1,
            session,
            device,
            recorded: { hasEarlierActivity: true, ipSeenRecently: false },
            client: PHONE,
          }),
        );
      });

      expect(alerts()).toMatchObject([{ type: SessionAlertType.NEW_IP_ADDRESS, sessionId: session.id }]);
      expect(published).toMatchObject([{ type: 'SESSION_REFRESHED' }, { type: 'ALERT_RAISED', version: 2, client: PHONE }]);
      expect(db.statements).not.toContain('SessionActivityRepository.addressHistory');
      expect(versionOf()).toBe(2);
    });
    it('tells in advance which refreshes can go without a transaction of their own: those that raise nothing', () => {
      const session = seedSession(db, { user, device: seedDevice(db, user) }).session;
      const device = seedDevice(db, user);
      const refreshed = (recorded: { hasEarlierActivity: boolean; ipSeenRecently: boolean }, client: ClientInfo) =>
        ({ type: 'SESSION_REFRESHED', version: 1, session, device, recorded, client }) as const;

      expect(userChange.recordsItself(refreshed({ hasEarlierActivity: true, ipSeenRecently: true }, PHONE))).toBe(true);
      expect(userChange.recordsItself(refreshed({ hasEarlierActivity: false, ipSeenRecently: false }, PHONE))).toBe(true);
      expect(userChange.recordsItself(refreshed({ hasEarlierActivity: true, ipSeenRecently: false }, PHONE))).toBe(false);
      // Any other event's rules may ask the log, so only its change can tell.
      expect(userChange.recordsItself({ type: 'SESSION_ENDED', version: 1, session: revokedByAdmin() })).toBe(false);
    });
  });

  describe('any other event', () => {
    it('applies the rules with no context: an administrator’s revocation raises SESSION_REVOKED_BY_ADMIN', async () => {
      const session = revokedByAdmin();

      await change(LAPTOP, async (c) => c.emit({ type: 'SESSION_ENDED', version: c.nextVersion(), session, client: LAPTOP }));

      expect(alerts()).toMatchObject([{ type: SessionAlertType.SESSION_REVOKED_BY_ADMIN, sessionId: session.id }]);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.SESSION_REVOKED, SessionActivityType.ALERT_RAISED]);
      expect(events.of('ALERT_RAISED')).toMatchObject([{ version: 2 }]);
    });

    it('raises nothing for a change no rule watches', async () => {
      await change(PHONE, async (c) => c.emit({ type: 'LOGIN_FAILED', userId: user.id, reason: 'INVALID_CREDENTIALS', client: PHONE }));

      expect(alerts()).toEqual([]);
      expect(activityLog(db).map((a) => a.type)).toEqual([SessionActivityType.LOGIN_FAILED]);
    });
  });

  it('fails the whole change when its alert cannot be stored, leaving nothing of it, and handles the next change as usual', async () => {
    const session = revokedByAdmin();
    db.failNext('SessionAlertRepository.insert');

    await expect(
      change(LAPTOP, async (c) => c.emit({ type: 'SESSION_ENDED', version: c.nextVersion(), session, client: LAPTOP })),
    ).rejects.toThrow('Connection terminated unexpectedly');

    expect(alerts()).toEqual([]);
    expect(activityLog(db)).toEqual([]);
    expect(versionOf()).toBe(0);
    expect(events.all).toEqual([]);

    await bruteForce();

    expect(alerts()).toMatchObject([{ type: SessionAlertType.BRUTE_FORCE }]);
    expect(events.of('ALERT_RAISED')).toMatchObject([{ version: 1 }]);
  });
});
