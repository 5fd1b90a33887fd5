import { randomBytes, randomUUID } from 'node:crypto';
import { generateLegacyRefreshToken, hashToken, mintRefreshToken } from '../../src/common/opaque-token.js';
import { REFRESH_TOKEN_MAC_SECRET } from '../../src/modules/session/domain/refresh-tokens.js';
import type { ClientInfo } from '../../src/kernel/client-info.js';
import { Role } from '../../src/kernel/role.js';
import type { SessionActivity } from '../../src/modules/activity/domain/session-activity.js';
import { DeviceType, type Device } from '../../src/modules/device/domain/device.js';
import type { Actor } from '../../src/modules/session/domain/session-grant.js';
import { SessionStatus, type Session, type SessionEndReason } from '../../src/modules/session/domain/session.js';
import { toDevice } from './in-memory-device-repository.js';
import type { InMemoryDatabase, OutboxRow, SessionRow, UserRow } from './in-memory-database.js';
import { toSession } from './in-memory-session-repository.js';
import { FastPasswordHasher } from './fast-password-hasher.js';

export const START = new Date('2026-11-28T12:00:00Z');
export const DAY = 24 * 60 * 60_000;

export const PHONE: ClientInfo = { ipAddress: '203.0.113.7', userAgent: 'TesseraApp/3.2 (iOS 18.1)' };
export const LAPTOP: ClientInfo = { ipAddress: '198.51.100.20', userAgent: 'Mozilla/5.0' };

export function seedUser(db: InMemoryDatabase, overrides: Partial<UserRow> & { password?: string } = {}): UserRow {
  const { password = 'correct horse battery staple', ...fields } = overrides;
  const id = fields.id ?? randomUUID();
  const user: UserRow = {
    id,
    email: `user-${id}@example.com`,
    roles: [Role.USER],
    createdAt: START,
    passwordHash: FastPasswordHasher.hashOf(password),
    eventVersion: 0,
    disabledAt: null,
    ...fields,
  };
  db.seed((tables) => tables.users.set(user.id, user));
  return user;
}

export function seedDevice(db: InMemoryDatabase, user: Pick<UserRow, 'id'>, overrides: Partial<Device> = {}): Device {
  const device = {
    id: randomUUID(),
    userId: user.id,
    type: DeviceType.IOS,
    name: 'iPhone',
    model: 'iPhone15,2',
    osVersion: '18.1',
    appVersion: '3.2.0',
    trusted: false,
    trustedAt: null,
    firstSeenAt: START,
    lastSeenAt: START,
    ...overrides,
    fingerprint: randomUUID(),
  };
  db.seed((tables) => tables.devices.set(device.id, device));
  return toDevice(device);
}

export interface SeededSession {
  readonly session: Session;
  /** Generation 0, the token the login handed out. */
  readonly refreshToken: string;
}

/** A session as a login at `createdAt` leaves it (generation 0 current), with any column overridden. */
export function seedSession(
  db: InMemoryDatabase,
  owner: { user: Pick<UserRow, 'id'>; device: Pick<Device, 'id'> },
  overrides: Partial<SessionRow> = {},
): SeededSession {
  const createdAt = overrides.createdAt ?? START;
  const row: SessionRow = {
    id: randomUUID(),
    userId: owner.user.id,
    deviceId: owner.device.id,
    status: SessionStatus.ACTIVE,
    endReason: null,
    createdAt,
    authenticatedAt: createdAt,
    deviceKeyThumbprint: null,
    authenticationMethod: 'pwd',
    lastActivityAt: createdAt,
    expiresAt: new Date(createdAt.getTime() + 7 * DAY),
    endedAt: null,
    ipAddress: PHONE.ipAddress,
    userAgent: PHONE.userAgent,
    refreshGeneration: 0,
    refreshCommittedGeneration: 0,
    refreshRotatedAt: null,
    refreshSuccessorCiphertext: null,
    refreshTokenHash: null,
    refreshParentHash: null,
    ...overrides,
  };
  const refreshToken = mintTestRefreshToken(db, row.id, row.refreshGeneration);
  // refreshTokenHash: null seeds a session whose current token is of the legacy format (seedLegacyRefreshToken).
  const refreshTokenHash = 'refreshTokenHash' in overrides ? (overrides.refreshTokenHash ?? null) : hashToken(refreshToken);
  db.seed((tables) => tables.sessions.set(row.id, { ...row, refreshTokenHash }));
  return { session: toSession(row), refreshToken };
}

/**
 * A current-format token for `generation` of `sessionId`, with a valid MAC under the database's
 * refresh-token secret (as RefreshTokens over InMemoryAppSecretRepository reads it), stored nowhere.
 */
export function mintTestRefreshToken(db: InMemoryDatabase, sessionId: string, generation: number): string {
  let key: Buffer | undefined;
  db.seed((tables) => {
    key = tables.appSecrets.get(REFRESH_TOKEN_MAC_SECRET) ?? randomBytes(32);
    tables.appSecrets.set(REFRESH_TOKEN_MAC_SECRET, key);
  });
  return mintRefreshToken(key as Buffer, { sessionId, generation });
}

/** A legacy-format token of `generation` in `sessionId`, stored as the code before flat storage stored every token. */
export function seedLegacyRefreshToken(db: InMemoryDatabase, sessionId: string, generation: number, createdAt = START): string {
  const refreshToken = generateLegacyRefreshToken();
  db.seed((tables) => tables.refreshTokens.set(hashToken(refreshToken).toString('hex'), { sessionId, generation, createdAt }));
  return refreshToken;
}

export function endedSession(reason: SessionEndReason, status: SessionStatus, at: Date): Partial<SessionRow> {
  return { status, endReason: reason, endedAt: at };
}

export function actorFor(session: Pick<Session, 'id' | 'userId'>, roles: readonly Role[] = [Role.USER], client: ClientInfo = PHONE): Actor {
  return { userId: session.userId, sessionId: session.id, roles, client };
}

/** An administrator with a session of their own, acting on other people's things. */
export function seedAdmin(db: InMemoryDatabase): Actor {
  const admin = seedUser(db, { roles: [Role.USER, Role.ADMIN] });
  const { session } = seedSession(db, { user: admin, device: seedDevice(db, admin) });
  return actorFor(session, admin.roles, LAPTOP);
}

/** The row as the database holds it now. */
export function sessionRow(db: InMemoryDatabase, sessionId: string): SessionRow {
  const row = db.rows.sessions.get(sessionId);
  if (!row) throw new Error(`no session ${sessionId}`);
  return row;
}

/** The activity log as committed, in the order its entries were written. */
export function activityLog(db: InMemoryDatabase): SessionActivity[] {
  return [...db.rows.activity.values()];
}

/** The outbox as committed, in the order its rows were written. */
export function outboxRows(db: InMemoryDatabase): OutboxRow[] {
  return [...db.rows.outbox.values()];
}
