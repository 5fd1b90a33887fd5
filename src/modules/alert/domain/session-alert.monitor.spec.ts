import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { Logger } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Clock } from '../../../common/clock.js';
import { APP_CONFIG, loadConfig } from '../../../config/app-config.js';
import { AppSecretRepository } from '../../../database/app-secret.repository.js';
import { DomainEvents, type DomainEvent } from '../../../events/domain-events.js';
import type { ClientInfo } from '../../../kernel/client-info.js';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import { DAY, LAPTOP, PHONE, seedDevice, seedSession, seedUser, START } from '../../../../test/unit/fixtures.js';
import { InMemoryAppSecretRepository } from '../../../../test/unit/in-memory-app-secret-repository.js';
import { InMemoryDatabase, type UserRow } from '../../../../test/unit/in-memory-database.js';
import { InMemoryDeviceRepository } from '../../../../test/unit/in-memory-device-repository.js';
import { InMemorySessionActivityRepository } from '../../../../test/unit/in-memory-session-activity-repository.js';
import { InMemorySessionAlertRepository } from '../../../../test/unit/in-memory-session-alert-repository.js';
import { InMemorySessionEventVersionRepository } from '../../../../test/unit/in-memory-session-event-version-repository.js';
import { SessionActivityRepository } from '../../activity/data/session-activity.repository.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionActivityService } from '../../activity/domain/session-activity.service.js';
import { DeviceRepository } from '../../device/data/device.repository.js';
import { DeviceService } from '../../device/domain/device.service.js';
import { SessionEventVersionRepository } from '../../session/data/session-event-version.repository.js';
import { SessionEndReason, SessionStatus, type Session } from '../../session/domain/session.js';
import { SessionAlertRepository } from '../data/session-alert.repository.js';
import { SessionAlertType } from './session-alert.js';
import { SessionAlertMonitor } from './session-alert.monitor.js';
import { SessionAlertService } from './session-alert.service.js';

describe('SessionAlertMonitor', () => {
  let sut: SessionAlertMonitor;
  let moduleRef: TestingModule;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let bus: DomainEvents;
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
        DomainEvents,
        { provide: SessionActivityRepository, useValue: new InMemorySessionActivityRepository(db) },
        { provide: SessionAlertRepository, useValue: new InMemorySessionAlertRepository(db) },
        { provide: SessionEventVersionRepository, useValue: new InMemorySessionEventVersionRepository(db) },
        { provide: DeviceRepository, useValue: new InMemoryDeviceRepository(db) },
        { provide: AppSecretRepository, useValue: new InMemoryAppSecretRepository(db) },
        { provide: Clock, useValue: clock },
        { provide: APP_CONFIG, useValue: loadConfig({}) },
      ],
    }).compile();
    // The monitor subscribes when the module starts.
    await moduleRef.init();
    sut = moduleRef.get(SessionAlertMonitor);
    bus = moduleRef.get(DomainEvents);
    user = seedUser(db);
  });

  afterEach(() => moduleRef.close());

  /** Publishes, then waits for the monitor to handle everything, including the ALERT_RAISED its own alerts publish. */
  const deliver = async (...events: DomainEvent[]) => {
    bus.publishAll(events);
    for (let queue = sut.idle(); ;) {
      await queue;
      const next = sut.idle();
      if (next === queue) return;
      queue = next;
    }
  };

  const alerts = () => [...db.rows.alerts.values()];
  const activity = () => [...db.rows.activity.values()];

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

  const loginAt = (at: Date): Session => seedSession(db, { user, device: seedDevice(db, user) }, { createdAt: at }).session;

  describe('DEVICE_REGISTERED', () => {
    it('raises NEW_DEVICE for a device registered beside ones the user already had', async () => {
      seedDevice(db, user);
      const device = seedDevice(db, user, { name: 'Pixel' });

      await deliver({ type: 'DEVICE_REGISTERED', device, client: LAPTOP });

      expect(alerts()).toMatchObject([
        { userId: user.id, type: SessionAlertType.NEW_DEVICE, details: { deviceId: device.id, ipAddress: LAPTOP.ipAddress } },
      ]);
      // The alert is delivered, and logged, as coming from the request that caused it.
      expect(activity().map((a) => [a.type, a.ipAddress])).toEqual([
        [SessionActivityType.DEVICE_REGISTERED, LAPTOP.ipAddress],
        [SessionActivityType.ALERT_RAISED, LAPTOP.ipAddress],
      ]);
    });

    it('raises nothing for the user’s first device, and still records it', async () => {
      const device = seedDevice(db, user);

      await deliver({ type: 'DEVICE_REGISTERED', device, client: PHONE });

      expect(alerts()).toEqual([]);
      expect(activity().map((a) => a.type)).toEqual([SessionActivityType.DEVICE_REGISTERED]);
    });
  });

  describe('SESSION_CREATED', () => {
    it('raises NEW_IP_ADDRESS for a login from an address the log has not seen, not counting the login itself', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));
      const session = loginAt(START);

      await deliver({ type: 'SESSION_CREATED', version: 1, session, device: seedDevice(db, user), client: PHONE });

      expect(alerts()).toMatchObject([
        { type: SessionAlertType.NEW_IP_ADDRESS, sessionId: session.id, details: { ipAddress: PHONE.ipAddress } },
      ]);
    });

    it('raises nothing for a login from an address the user used recently', async () => {
      usedFrom(PHONE, new Date(START.getTime() - DAY));

      await deliver({ type: 'SESSION_CREATED', version: 1, session: loginAt(START), device: seedDevice(db, user), client: PHONE });

      expect(alerts()).toEqual([]);
    });

    it('raises nothing for the user’s very first login', async () => {
      await deliver({ type: 'SESSION_CREATED', version: 1, session: loginAt(START), device: seedDevice(db, user), client: PHONE });

      expect(alerts()).toEqual([]);
      expect(activity().map((a) => a.type)).toEqual([SessionActivityType.SESSION_CREATED]);
    });

    it('records a login that carries no client, raising nothing', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));

      await deliver({ type: 'SESSION_CREATED', version: 1, session: loginAt(START), device: seedDevice(db, user) });

      expect(activity().map((a) => a.type)).toEqual([SessionActivityType.SESSION_CREATED, SessionActivityType.SESSION_CREATED]);
      expect(alerts()).toEqual([]);
    });

    it('handles events one at a time, so that a rule asking “seen before?” finds every earlier event recorded', async () => {
      usedFrom(LAPTOP, new Date(START.getTime() - DAY));
      const device = seedDevice(db, user);
      const first = loginAt(START);
      const second = loginAt(new Date(START.getTime() + MINUTE));

      await deliver(
        { type: 'SESSION_CREATED', version: 1, session: first, device, client: PHONE },
        { type: 'SESSION_CREATED', version: 2, session: second, device, client: PHONE },
      );

      // Handled together, both logins would have found the address new and the second folded in.
      expect(alerts()).toMatchObject([{ type: SessionAlertType.NEW_IP_ADDRESS, sessionId: first.id, occurrences: 1 }]);
    });
  });

  describe('SESSION_REFRESHED', () => {
    it('judges a refresh by what its own transaction recorded, without asking the log again', async () => {
      // The log would call the address known; the refresh saw it before its own entry, and did not.
      usedFrom(PHONE, START);
      const session = loginAt(START);

      await deliver({
        type: 'SESSION_REFRESHED',
        version: 1,
        session,
        device: seedDevice(db, user),
        recorded: { hasEarlierActivity: true, ipSeenRecently: false },
        client: PHONE,
      });

      expect(alerts()).toMatchObject([{ type: SessionAlertType.NEW_IP_ADDRESS, sessionId: session.id }]);
      expect(db.statements).not.toContain('SessionActivityRepository.addressHistory');
    });
  });

  describe('any other event', () => {
    it('applies the rules with no context: an administrator’s revocation raises SESSION_REVOKED_BY_ADMIN', async () => {
      const session: Session = {
        ...loginAt(START),
        status: SessionStatus.REVOKED,
        endReason: SessionEndReason.REVOKED_BY_ADMIN,
        endedAt: START,
      };

      await deliver({ type: 'SESSION_ENDED', version: 1, session, client: LAPTOP });

      expect(alerts()).toMatchObject([{ type: SessionAlertType.SESSION_REVOKED_BY_ADMIN, sessionId: session.id }]);
      expect(activity().map((a) => a.type)).toEqual([SessionActivityType.SESSION_REVOKED, SessionActivityType.ALERT_RAISED]);
    });
  });

  it('logs an event whose handling failed and goes on with the next', async () => {
    const logged = jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    const ended: Session = {
      ...loginAt(START),
      status: SessionStatus.REVOKED,
      endReason: SessionEndReason.REVOKED_BY_ADMIN,
      endedAt: START,
    };
    db.failNext('SessionAlertRepository.insert');

    await deliver(
      { type: 'SESSION_ENDED', version: 1, session: ended, client: LAPTOP },
      { type: 'BRUTE_FORCE_DETECTED', userId: user.id, failures: 5, client: LAPTOP },
    );

    expect(logged).toHaveBeenCalledWith('Handling SESSION_ENDED failed: Connection terminated unexpectedly');
    expect(alerts()).toMatchObject([{ type: SessionAlertType.BRUTE_FORCE }]);
    logged.mockRestore();
  });
});
