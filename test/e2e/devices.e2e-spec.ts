import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { generateLegacyRefreshToken, hashToken } from '../../src/common/opaque-token.js';
import { DeviceService } from '../../src/modules/device/domain/device.service.js';
import { SessionSweeper } from '../../src/modules/session/domain/session-sweeper.js';
import { deviceInput, login, refresh, registerUser, type TestUser } from '../factories/session.factory.js';
import { ACTIVE_SESSIONS, DEVICES, ME, REFRESH_SESSION, TRUST_DEVICE, UNTRUST_DEVICE } from '../helpers/operations.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const DAY = 24 * 60 * MINUTE;

describe('devices', () => {
  let app: TestApp;
  let user: TestUser;
  const db = () => app.tessera.app.get(DataSource);
  const lifetimeDays = (session: Record<string, any>) => Math.round((Date.parse(session.expiresAt) - Date.parse(session.createdAt)) / DAY);

  beforeAll(async () => {
    app = await startTestApp({ MAX_SESSIONS_PER_USER: '4', ACCESS_TOKEN_TTL: '60m' });
    user = await registerUser(app.graphql);
  });
  afterAll(() => app.close());

  it('recognises the same phone across logins as one device and keeps its details current', async () => {
    const phone = deviceInput({ osVersion: '18.1', appVersion: '3.2.0' });
    const first = await login(app.graphql, user, phone);
    app.clock.advance(MINUTE);
    const second = await login(app.graphql, user, { ...phone, osVersion: '18.2', appVersion: '3.3.0' });
    expect(second.session.device.id).toBe(first.session.device.id);
    expect(second.session.device).toMatchObject({ osVersion: '18.2', appVersion: '3.3.0' });
    expect(Date.parse(second.session.device.lastSeenAt)).toBeGreaterThan(Date.parse(first.session.device.lastSeenAt));
    expect(second.session.device.firstSeenAt).toBe(first.session.device.firstSeenAt);

    const laptop = await login(app.graphql, user, deviceInput({ type: 'DESKTOP', name: 'MacBook' }));
    expect(laptop.session.device.id).not.toBe(first.session.device.id);

    const [{ count }] = await db().query(`SELECT count(*)::int AS count FROM devices WHERE user_id = $1`, [user.id]);
    expect(count).toBe(2);
    const stored = JSON.stringify(await db().query(`SELECT * FROM devices`));
    expect(stored).not.toContain(phone.deviceId);
  });

  it('loads the devices of a whole session list in one query, not one per session', async () => {
    const owner = await registerUser(app.graphql);
    const sessions = [];
    for (let i = 0; i < 4; i++) sessions.push(await login(app.graphql, owner, deviceInput({ name: `device ${i}` })));
    const loads = jest.spyOn(app.tessera.app.get(DeviceService), 'getByIds');
    try {
      const { activeSessions } = await app.graphql.data(ACTIVE_SESSIONS, {}, sessions[3].tokens.accessToken);
      expect(activeSessions.map((s: { device: { name: string } }) => s.device.name).sort()).toEqual([
        'device 0',
        'device 1',
        'device 2',
        'device 3',
      ]);
      expect(loads).toHaveBeenCalledTimes(1);
    } finally {
      loads.mockRestore();
    }
  });

  it('moves lastSeenAt on refresh', async () => {
    const session = await login(app.graphql, user);
    app.clock.advance(5 * MINUTE);
    await refresh(app.graphql, session.tokens.refreshToken);
    const { devices } = await app.graphql.data(DEVICES, {}, session.tokens.accessToken);
    const device = devices.find((d: { id: string }) => d.id === session.session.device.id);
    expect(Date.parse(device.lastSeenAt)).toBe(app.clock.now().getTime());
  });

  it('gives a trusted device ~30-day sessions and an untrusted one ~7-day sessions', async () => {
    const owner = await registerUser(app.graphql);
    const phone = deviceInput();
    const untrusted = await login(app.graphql, owner, phone);
    expect(lifetimeDays(untrusted.session)).toBe(7);
    expect(untrusted.tokens.refreshTokenExpiresAt).toBe(untrusted.session.expiresAt);

    const trusted = await app.graphql.data(TRUST_DEVICE, { id: untrusted.session.device.id }, untrusted.tokens.accessToken);
    expect(trusted.trustDevice).toMatchObject({ trusted: true, trustedAt: expect.any(String) });

    const again = await login(app.graphql, owner, phone);
    expect(again.session.device).toMatchObject({ id: untrusted.session.device.id, trusted: true });
    expect(lifetimeDays(again.session)).toBe(30);
    expect(again.tokens.refreshTokenExpiresAt).toBe(again.session.expiresAt);
  });

  it('ends every session on a device the moment it is untrusted', async () => {
    const owner = await registerUser(app.graphql);
    const phone = deviceInput();
    const onPhoneA = await login(app.graphql, owner, phone);
    const onPhoneB = await login(app.graphql, owner, phone);
    const laptop = await login(app.graphql, owner, deviceInput({ type: 'WEB' }));
    const deviceId = onPhoneA.session.device.id;
    await app.graphql.data(TRUST_DEVICE, { id: deviceId }, laptop.tokens.accessToken);

    const untrusted = await app.graphql.data(UNTRUST_DEVICE, { id: deviceId }, laptop.tokens.accessToken);
    expect(untrusted.untrustDevice).toMatchObject({ id: deviceId, trusted: false, trustedAt: null });
    for (const session of [onPhoneA, onPhoneB]) {
      expect(await app.graphql.errorCode(ME, {}, session.tokens.accessToken)).toBe('SESSION_REVOKED');
      expect(await app.graphql.errorCode(REFRESH_SESSION, { input: { refreshToken: session.tokens.refreshToken } })).toBe(
        'SESSION_REVOKED',
      );
    }
    const active = await app.graphql.data(ACTIVE_SESSIONS, {}, laptop.tokens.accessToken);
    expect(active.activeSessions.map((s: { id: string }) => s.id)).toEqual([laptop.session.id]);
    const [row] = await db().query(`SELECT end_reason FROM sessions WHERE id = $1`, [onPhoneA.session.id]);
    expect(row.end_reason).toBe('DEVICE_UNTRUSTED');
  });

  it('does not let a user see or change another user’s device', async () => {
    const owner = await registerUser(app.graphql);
    const stranger = await registerUser(app.graphql);
    const ownerSession = await login(app.graphql, owner);
    const strangerSession = await login(app.graphql, stranger);
    const deviceId = ownerSession.session.device.id;

    expect(await app.graphql.errorCode(TRUST_DEVICE, { id: deviceId }, strangerSession.tokens.accessToken)).toBe('NOT_FOUND');
    expect(await app.graphql.errorCode(UNTRUST_DEVICE, { id: deviceId }, strangerSession.tokens.accessToken)).toBe('NOT_FOUND');
    expect(await app.graphql.errorCode(DEVICES, { userId: owner.id }, strangerSession.tokens.accessToken)).toBe('FORBIDDEN');
    const own = await app.graphql.data(DEVICES, {}, strangerSession.tokens.accessToken);
    expect(own.devices.map((d: { id: string }) => d.id)).not.toContain(deviceId);
    await expect(app.graphql.data(ME, {}, ownerSession.tokens.accessToken)).resolves.toBeTruthy();
  });

  it('keeps at most MAX_SESSIONS_PER_USER sessions under 10 concurrent logins, ending the least recently active', async () => {
    const busy = await registerUser(app.graphql);
    const logins = await Promise.all(Array.from({ length: 10 }, () => login(app.graphql, busy)));
    const [{ count }] = await db().query(`SELECT count(*)::int AS count FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, [busy.id]);
    expect(count).toBe(4);
    const limited = await db().query(`SELECT end_reason FROM sessions WHERE user_id = $1 AND status <> 'ACTIVE'`, [busy.id]);
    expect(limited.map((row: { end_reason: string }) => row.end_reason)).toEqual(Array(6).fill('SESSION_LIMIT'));

    // The session used most recently survives the next login; the least recently active goes.
    const alive = (await db().query(`SELECT id FROM sessions WHERE user_id = $1 AND status = 'ACTIVE'`, [busy.id])).map(
      (r: { id: string }) => r.id,
    );
    const aliveLogins = logins.filter((l) => alive.includes(l.session.id));
    app.clock.advance(2 * MINUTE);
    for (const l of aliveLogins.slice(1)) await app.graphql.data(ME, {}, l.tokens.accessToken);
    await login(app.graphql, busy);
    expect(await app.graphql.errorCode(ME, {}, aliveLogins[0].tokens.accessToken)).toBe('SESSION_REVOKED');
    for (const l of aliveLogins.slice(1)) await expect(app.graphql.data(ME, {}, l.tokens.accessToken)).resolves.toBeTruthy();
  });

  it('sweeps a session that went idle, and its token then fails with SESSION_EXPIRED', async () => {
    const sleeper = await registerUser(app.graphql);
    const idle = await login(app.graphql, sleeper);
    app.clock.advance(20 * MINUTE);
    const busy = await login(app.graphql, sleeper);
    app.clock.advance(11 * MINUTE); // idle: 31 minutes; busy: 11 minutes

    await app.tessera.app.get(SessionSweeper).sweep();
    const rows = await db().query(`SELECT id, status, end_reason FROM sessions WHERE user_id = $1`, [sleeper.id]);
    expect(rows.find((r: { id: string }) => r.id === idle.session.id)).toMatchObject({ status: 'EXPIRED', end_reason: 'IDLE_TIMEOUT' });
    expect(rows.find((r: { id: string }) => r.id === busy.session.id)).toMatchObject({ status: 'ACTIVE', end_reason: null });

    expect(await app.graphql.errorCode(ME, {}, idle.tokens.accessToken)).toBe('SESSION_EXPIRED');
    await expect(app.graphql.data(ME, {}, busy.tokens.accessToken)).resolves.toBeTruthy();
  });

  it('prunes legacy refresh-token rows of sessions ended more than a day ago', async () => {
    const leaver = await registerUser(app.graphql);
    const session = await login(app.graphql, leaver);
    // Written only by the code before flat storage; such rows remain until their sessions have ended.
    await db().query(`INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($1, $2, 0, now())`, [
      hashToken(generateLegacyRefreshToken()),
      session.session.id,
    ]);
    await app.graphql.data(`mutation { logout }`, {}, session.tokens.accessToken);
    await app.tessera.app.get(SessionSweeper).sweep();
    const countTokens = async () =>
      (await db().query(`SELECT count(*)::int AS count FROM refresh_tokens WHERE session_id = $1`, [session.session.id]))[0].count;
    expect(await countTokens()).toBe(1);
    app.clock.advance(DAY + MINUTE);
    await app.tessera.app.get(SessionSweeper).sweep();
    expect(await countTokens()).toBe(0);
  });
});
