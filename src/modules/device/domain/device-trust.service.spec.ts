import { beforeEach, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { ManualClock, MINUTE } from '../../../../test/helpers/manual-clock.js';
import {
  activityLog,
  actorFor,
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
import { InMemoryDatabase } from '../../../../test/unit/in-memory-database.js';
import { InMemoryDeviceRepository } from '../../../../test/unit/in-memory-device-repository.js';
import type { RecordedEvents } from '../../../../test/unit/recorded-events.js';
import { compileOnSessionStore } from '../../../../test/unit/session-store-module.js';
import { SessionActivityType } from '../../activity/domain/session-activity.js';
import { SessionEndReason, SessionStatus } from '../../session/domain/session.js';
import { DeviceRepository } from '../data/device.repository.js';
import { DeviceTrustService } from './device-trust.service.js';

describe('DeviceTrustService', () => {
  let sut: DeviceTrustService;
  let db: InMemoryDatabase;
  let clock: ManualClock;
  let events: RecordedEvents;
  let moduleRef: TestingModule;

  beforeEach(async () => {
    ({ db, clock, events, moduleRef } = await compileOnSessionStore((store) => [
      DeviceTrustService,
      { provide: DeviceRepository, useValue: new InMemoryDeviceRepository(store) },
    ]));
    sut = moduleRef.get(DeviceTrustService);
  });

  /** A user signed in on their phone, calling from it. */
  const signedIn = () => {
    const user = seedUser(db);
    const device = seedDevice(db, user);
    const { session } = seedSession(db, { user, device });
    return { user, device, session, actor: actorFor(session) };
  };

  const deviceRow = (id: string) => db.rows.devices.get(id);

  describe('listDevices', () => {
    it('lists the caller’s devices, most recently seen first', async () => {
      const { user, device, actor } = signedIn();
      const laptop = seedDevice(db, user, { lastSeenAt: new Date(START.getTime() + MINUTE) });
      signedIn();

      await expect(sut.listDevices(actor)).resolves.toEqual([laptop, device]);
    });

    it('refuses to list another user’s devices to a non-administrator', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.listDevices(actor, other.user.id)).rejects.toMatchObject({ code: 'FORBIDDEN' });
    });

    it('lists another user’s devices to an administrator', async () => {
      const other = signedIn();

      await expect(sut.listDevices(seedAdmin(db), other.user.id)).resolves.toEqual([other.device]);
    });
  });

  describe('trust', () => {
    it('trusts the caller’s device from now and publishes DEVICE_TRUSTED with the user’s next version', async () => {
      const { device, actor } = signedIn();
      clock.advance(MINUTE);

      const trusted = await sut.trust(actor, device.id);

      expect(trusted).toEqual({ ...device, trusted: true, trustedAt: clock.now() });
      expect(deviceRow(device.id)).toMatchObject({ trusted: true, trustedAt: clock.now() });
      expect(events.all).toEqual([{ type: 'DEVICE_TRUSTED', version: 1, device: trusted, client: PHONE }]);
      expect(activityLog(db)).toEqual([
        {
          id: expect.any(String),
          userId: device.userId,
          sessionId: null,
          type: SessionActivityType.DEVICE_TRUSTED,
          occurredAt: clock.now(),
          ...PHONE,
          details: { deviceId: device.id, deviceType: device.type, deviceName: device.name },
        },
      ]);
    });

    it('lets an administrator trust another user’s device, the change counted in that user’s versions', async () => {
      const other = signedIn();

      await expect(sut.trust(seedAdmin(db), other.device.id)).resolves.toMatchObject({ trusted: true });
      expect(events.of('DEVICE_TRUSTED')).toMatchObject([{ version: 1, client: LAPTOP }]);
      expect(db.rows.users.get(other.user.id)?.eventVersion).toBe(1);
    });

    it('reports another user’s device as missing to a non-administrator, and leaves it untrusted', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.trust(actor, other.device.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(deviceRow(other.device.id)?.trusted).toBe(false);
      expect(events.all).toEqual([]);
    });

    it('reports a device that does not exist as missing', async () => {
      const { actor } = signedIn();

      await expect(sut.trust(actor, 'no-such-device')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('trusts nothing and publishes nothing when the change does not commit', async () => {
      const { device, actor } = signedIn();
      db.failNextCommit();

      await expect(sut.trust(actor, device.id)).rejects.toThrow('Connection terminated unexpectedly');
      expect(deviceRow(device.id)?.trusted).toBe(false);
      expect(activityLog(db)).toEqual([]);
      expect(db.rows.users.get(actor.userId)?.eventVersion).toBe(0);
      expect(events.all).toEqual([]);
    });

    it('reports a device gone by the time of the change as missing, publishing nothing', async () => {
      const { device, actor } = signedIn();
      db.interleave('DeviceRepository.setTrusted', (tables) => tables.devices.delete(device.id));

      await expect(sut.trust(actor, device.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(events.all).toEqual([]);
      expect(activityLog(db)).toEqual([]);
      expect(db.rows.users.get(actor.userId)?.eventVersion).toBe(0);
    });
  });

  describe('untrust', () => {
    it('ends every active session on the device in the same change, and publishes their ends before DEVICE_UNTRUSTED', async () => {
      const user = seedUser(db);
      const device = seedDevice(db, user, { trusted: true, trustedAt: START });
      const { session } = seedSession(db, { user, device });
      const actor = actorFor(session);
      const second = seedSession(db, { user, device }).session;
      const alreadyEnded = seedSession(db, { user, device }, endedSession(SessionEndReason.LOGOUT, SessionStatus.REVOKED, START)).session;
      const elsewhere = seedSession(db, { user, device: seedDevice(db, user) }).session;
      clock.advance(MINUTE);

      const untrusted = await sut.untrust(actor, device.id);

      expect(untrusted).toEqual({ ...device, trusted: false, trustedAt: null });
      for (const id of [session.id, second.id]) {
        expect(sessionRow(db, id)).toMatchObject({
          status: SessionStatus.REVOKED,
          endReason: SessionEndReason.DEVICE_UNTRUSTED,
          endedAt: clock.now(),
        });
      }
      expect(sessionRow(db, alreadyEnded.id).endReason).toBe(SessionEndReason.LOGOUT);
      expect(sessionRow(db, elsewhere.id).status).toBe(SessionStatus.ACTIVE);
      const ended = events.of('SESSION_ENDED');
      expect(events.types).toEqual(['SESSION_ENDED', 'SESSION_ENDED', 'DEVICE_UNTRUSTED']);
      expect(ended.map((e) => [e.session.id, e.version, e.client])).toEqual([
        [session.id, 1, PHONE],
        [second.id, 2, PHONE],
      ]);
      expect(events.of('DEVICE_UNTRUSTED')).toEqual([
        { type: 'DEVICE_UNTRUSTED', version: 3, device: untrusted, endedSessions: ended.map((e) => e.session), client: PHONE },
      ]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(3);
      expect(activityLog(db).map((a) => [a.type, a.sessionId, a.ipAddress])).toEqual([
        [SessionActivityType.SESSION_REVOKED, session.id, PHONE.ipAddress],
        [SessionActivityType.SESSION_REVOKED, second.id, PHONE.ipAddress],
        [SessionActivityType.DEVICE_UNTRUSTED, null, PHONE.ipAddress],
      ]);
    });

    it('untrusts a device with no active sessions, publishing DEVICE_UNTRUSTED alone', async () => {
      const user = seedUser(db);
      const device = seedDevice(db, user, { trusted: true, trustedAt: START });
      const { session } = seedSession(db, { user, device: seedDevice(db, user) });

      await expect(sut.untrust(actorFor(session), device.id)).resolves.toMatchObject({ trusted: false, trustedAt: null });
      expect(events.all).toEqual([
        {
          type: 'DEVICE_UNTRUSTED',
          version: 1,
          device: { ...device, trusted: false, trustedAt: null },
          endedSessions: [],
          client: actorFor(session).client,
        },
      ]);
    });

    it('lets an administrator untrust another user’s device, ending its sessions', async () => {
      const other = signedIn();

      await sut.untrust(seedAdmin(db), other.device.id);

      expect(sessionRow(db, other.session.id).endReason).toBe(SessionEndReason.DEVICE_UNTRUSTED);
    });

    it('reports another user’s device as missing to a non-administrator, and ends none of its sessions', async () => {
      const { actor } = signedIn();
      const other = signedIn();

      await expect(sut.untrust(actor, other.device.id)).rejects.toMatchObject({ code: 'NOT_FOUND' });
      expect(sessionRow(db, other.session.id).status).toBe(SessionStatus.ACTIVE);
      expect(events.all).toEqual([]);
    });

    it('reports a device that does not exist as missing', async () => {
      const { actor } = signedIn();

      await expect(sut.untrust(actor, 'no-such-device')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });

    it('ends nothing, untrusts nothing and publishes nothing when the change does not commit', async () => {
      const user = seedUser(db);
      const device = seedDevice(db, user, { trusted: true, trustedAt: START });
      const { session } = seedSession(db, { user, device });
      const actor = actorFor(session);
      db.failNextCommit();

      await expect(sut.untrust(actor, device.id)).rejects.toThrow('Connection terminated unexpectedly');
      expect(sessionRow(db, session.id).status).toBe(SessionStatus.ACTIVE);
      expect(deviceRow(device.id)?.trusted).toBe(true);
      expect(activityLog(db)).toEqual([]);
      expect(db.rows.users.get(user.id)?.eventVersion).toBe(0);
      expect(events.all).toEqual([]);
    });
  });
});
