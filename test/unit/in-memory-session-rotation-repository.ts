import type { EntityManager } from 'typeorm';
import {
  ADDRESS_USE_TYPES,
  REPLAYED_DETAILS,
  SessionActivityType,
  type AddressHistory,
  type SessionActivity,
} from '../../src/modules/activity/domain/session-activity.js';
import type {
  LockedRotation,
  LockedSession,
  ReadSession,
  Replay,
  Rotated,
  SessionRotationRepository,
} from '../../src/modules/session/data/session-rotation.repository.js';
import type { ReadRotationState, RotationWrite } from '../../src/modules/session/data/session-rotation.sql.js';
import { SessionStatus } from '../../src/modules/session/domain/session.js';
import type { InMemoryDatabase, Tables } from './in-memory-database.js';
import { toSession } from './in-memory-session-repository.js';
import { addOutboxRow } from './in-memory-user-change-repository.js';

const NAME = 'SessionRotationRepository';

/**
 * LOCK_BY_SESSION_SQL, LOCK_BY_LEGACY_TOKEN_SQL, ROTATE_SQL (its outbox row included),
 * READ_FOR_REFRESH_SQL, ROTATE_IF_UNCHANGED_SQL and RECORD_REPLAY_SQL as map operations.
 */
export class InMemorySessionRotationRepository implements Pick<
  SessionRotationRepository,
  'lockForRefresh' | 'lockByLegacyToken' | 'rotate' | 'readForRefresh' | 'rotateIfUnchanged' | 'recordReplay'
> {
  constructor(private readonly db: InMemoryDatabase) {}

  lockForRefresh(tx: EntityManager, sessionId: string): Promise<LockedSession | undefined> {
    return this.db.inTransaction(`${NAME}.lockForRefresh`, tx, (tables) => this.lockRow(tx, tables, sessionId));
  }

  lockByLegacyToken(tx: EntityManager, tokenHash: Buffer): Promise<LockedRotation | undefined> {
    return this.db.inTransaction(`${NAME}.lockByLegacyToken`, tx, (tables) => {
      const token = tables.refreshTokens.get(tokenHash.toString('hex'));
      const locked = token && this.lockRow(tx, tables, token.sessionId);
      return token && locked && { ...locked, presentedGeneration: token.generation };
    });
  }

  readForRefresh(
    sessionId: string,
    at: { ipAddress: string | null; addressKnownSince: Date; now: Date },
  ): Promise<ReadSession | undefined> {
    return this.db.read(`${NAME}.readForRefresh`, (tables) => {
      const read = readRow(tables, sessionId);
      return read && { ...read, recorded: addressHistory(tables, read.session.userId, at.ipAddress, at.addressKnownSince, at.now) };
    });
  }

  rotateIfUnchanged(w: RotationWrite, read: ReadRotationState): Promise<Rotated | undefined> {
    return this.db.write(`${NAME}.rotateIfUnchanged`, (tables) => {
      const row = tables.sessions.get(w.sessionId);
      const owner = tables.users.get(w.userId);
      const unchanged =
        owner?.eventVersion === read.userVersion &&
        owner.disabledAt === null &&
        row?.userId === owner.id &&
        row.refreshGeneration === w.newGeneration - 1 &&
        row.refreshTokenHash?.equals(read.tokenHash) === true &&
        row.status === SessionStatus.ACTIVE &&
        row.expiresAt.getTime() === read.expiresAt.getTime() &&
        row.deviceKeyThumbprint === read.deviceKeyThumbprint;
      return unchanged ? applyRotation(tables, w) : undefined;
    });
  }

  private lockRow(tx: EntityManager, tables: Tables, sessionId: string): LockedSession | undefined {
    const read = readRow(tables, sessionId);
    // The statement locks the user, then the session: the lock order every change follows.
    if (read) this.db.lockUser(tx, read.session.userId);
    return read;
  }

  rotate(tx: EntityManager, w: RotationWrite): Promise<Rotated & { recorded: AddressHistory }> {
    return this.db.inTransaction(`${NAME}.rotate`, tx, (tables) => {
      this.db.assertUserLocked(tx, w.userId, `${NAME}.rotate`);
      const row = tables.sessions.get(w.sessionId);
      // WHERE refresh_generation = $5 - 1: no row back, and the repository refuses to go on.
      if (row && row.refreshGeneration !== w.newGeneration - 1)
        throw new Error(`rotation of session ${w.sessionId} found another generation`);
      // Asked before the activity entry is added: the statement's parts do not see one another's writes.
      const recorded = addressHistory(tables, w.userId, w.ipAddress, w.addressKnownSince, w.now);
      return { ...applyRotation(tables, w), recorded };
    });
  }

  async recordReplay(tx: EntityManager, r: Replay): Promise<void> {
    await this.db.inTransaction(`${NAME}.recordReplay`, tx, (tables) => {
      tables.activity.set(
        r.activityId,
        refreshedEntry({ ...r, sessionId: r.session.id, userId: r.session.userId }, { ...REPLAYED_DETAILS }),
      );
    });
  }
}

/** The session, its device and its user as the refresh statements read them. */
function readRow(tables: Tables, sessionId: string): LockedSession | undefined {
  const row = tables.sessions.get(sessionId);
  const owner = row && tables.users.get(row.userId);
  const device = row && tables.devices.get(row.deviceId);
  if (!row || !owner || !device) return undefined;
  const { fingerprint: _fingerprint, ...publicDevice } = device;
  return {
    session: toSession(row),
    user: { id: owner.id, email: owner.email, roles: owner.roles, createdAt: owner.createdAt, disabledAt: owner.disabledAt },
    device: publicDevice,
    successorCiphertext: row.refreshSuccessorCiphertext,
    tokenHashes: { current: row.refreshTokenHash, parent: row.refreshParentHash },
    userVersion: owner.eventVersion,
    rotation: {
      status: row.status,
      lastActivityAt: row.lastActivityAt,
      expiresAt: row.expiresAt,
      generation: row.refreshGeneration,
      committedGeneration: row.refreshCommittedGeneration,
      rotatedAt: row.refreshRotatedAt,
    },
  };
}

/** ROTATE_SQL's writes (the session, the device, the user's version, the activity entry, the outbox row) on a row known to be at generation n. */
function applyRotation(tables: Tables, w: RotationWrite): Rotated {
  const row = tables.sessions.get(w.sessionId);
  const owner = tables.users.get(w.userId);
  if (!row || !owner) throw new Error('rotate: no such session or user');
  const device = tables.devices.get(w.deviceId);
  if (device && device.lastSeenAt.getTime() < w.now.getTime()) tables.devices.set(device.id, { ...device, lastSeenAt: w.now });
  const version = owner.eventVersion + 1;
  tables.users.set(owner.id, { ...owner, eventVersion: version });
  tables.activity.set(w.activityId, refreshedEntry(w, null));
  // The devices' message under the version just taken.
  addOutboxRow(tables, { userId: w.userId, version, type: 'SESSION_REFRESHED', payload: { ...w.event, version }, createdAt: w.now });
  const rotated = {
    ...row,
    refreshGeneration: w.newGeneration,
    refreshCommittedGeneration: w.newGeneration - 1,
    refreshRotatedAt: w.now,
    refreshSuccessorCiphertext: w.successorCiphertext,
    refreshTokenHash: w.newTokenHash,
    refreshParentHash: row.refreshTokenHash,
    lastActivityAt: new Date(Math.max(row.lastActivityAt.getTime(), w.now.getTime())),
    ipAddress: w.ipAddress ?? row.ipAddress,
    userAgent: w.userAgent ?? row.userAgent,
  };
  tables.sessions.set(row.id, rotated);
  return { session: toSession(rotated), version };
}

/**
 * addressHistoryColumns: any address use by the user up to `until`, and one from this address
 * since `from` that was not a replay. `a.ip_address = NULL` is never true in SQL, hence the null check.
 */
export function addressHistory(
  tables: Tables,
  userId: string,
  ipAddress: string | null,
  from: Date,
  until: Date,
  types: readonly SessionActivityType[] = ADDRESS_USE_TYPES,
): AddressHistory {
  const uses = [...tables.activity.values()].filter(
    (a) => a.userId === userId && a.occurredAt.getTime() <= until.getTime() && types.includes(a.type),
  );
  return {
    hasEarlierActivity: uses.length > 0,
    ipSeenRecently: uses.some(
      (a) => ipAddress !== null && a.ipAddress === ipAddress && a.occurredAt.getTime() >= from.getTime() && a.details?.replayed !== true,
    ),
  };
}

/** The TOKEN_REFRESHED entry a rotation (no details) or a replay (`replayed: true`) appends. */
function refreshedEntry(
  r: Pick<RotationWrite, 'activityId' | 'userId' | 'sessionId' | 'now' | 'ipAddress' | 'userAgent'>,
  details: Record<string, unknown> | null,
): SessionActivity {
  return {
    id: r.activityId,
    userId: r.userId,
    sessionId: r.sessionId,
    type: SessionActivityType.TOKEN_REFRESHED,
    occurredAt: r.now,
    ipAddress: r.ipAddress,
    userAgent: r.userAgent,
    details,
  };
}
