import type { EntityManager } from 'typeorm';
import {
  ADDRESS_USE_TYPES,
  REPLAYED_DETAILS,
  SessionActivityType,
  type AddressHistory,
} from '../../src/modules/activity/domain/session-activity.js';
import type {
  LockedRotation,
  Replay,
  Rotation,
  SessionRotationRepository,
} from '../../src/modules/session/data/session-rotation.repository.js';
import type { Session } from '../../src/modules/session/domain/session.js';
import type { InMemoryDatabase, Tables } from './in-memory-database.js';
import { toSession } from './in-memory-session-repository.js';

const NAME = 'SessionRotationRepository';

/** LOCK_BY_TOKEN_SQL, ROTATE_SQL and RECORD_REPLAY_SQL as map operations. */
export class InMemorySessionRotationRepository implements Pick<SessionRotationRepository, 'lockByToken' | 'rotate' | 'recordReplay'> {
  constructor(private readonly db: InMemoryDatabase) {}

  lockByToken(tx: EntityManager, tokenHash: Buffer): Promise<LockedRotation | undefined> {
    return this.db.inTransaction(`${NAME}.lockByToken`, tx, (tables) => {
      const token = tables.refreshTokens.get(tokenHash.toString('hex'));
      const row = token && tables.sessions.get(token.sessionId);
      const owner = row && tables.users.get(row.userId);
      const device = row && tables.devices.get(row.deviceId);
      if (!token || !row || !owner || !device) return undefined;
      // The statement locks the user, then the session: the lock order every change follows.
      this.db.lockUser(tx, owner.id);
      const { fingerprint: _fingerprint, ...publicDevice } = device;
      return {
        presentedGeneration: token.generation,
        session: toSession(row),
        user: { id: owner.id, email: owner.email, roles: owner.roles, createdAt: owner.createdAt },
        device: publicDevice,
        successorCiphertext: row.refreshSuccessorCiphertext,
        rotation: {
          status: row.status,
          lastActivityAt: row.lastActivityAt,
          expiresAt: row.expiresAt,
          generation: row.refreshGeneration,
          committedGeneration: row.refreshCommittedGeneration,
          rotatedAt: row.refreshRotatedAt,
        },
      };
    });
  }

  rotate(tx: EntityManager, r: Rotation): Promise<{ session: Session; version: number; recorded: AddressHistory }> {
    return this.db.inTransaction(`${NAME}.rotate`, tx, (tables) => {
      this.db.assertUserLocked(tx, r.session.userId, `${NAME}.rotate`);
      const row = tables.sessions.get(r.session.id);
      const owner = tables.users.get(r.session.userId);
      if (!row || !owner) throw new Error('rotate: no such session or user');
      const duplicate = [...tables.refreshTokens.values()].some((t) => t.sessionId === r.session.id && t.generation === r.newGeneration);
      if (duplicate) throw new Error('duplicate key value violates unique constraint refresh_tokens_session_generation');
      // Asked before the activity entry is added: the statement's parts do not see one another's writes.
      const recorded = addressHistory(tables, r.session.userId, r.ipAddress, r.addressKnownSince, r.now);

      tables.refreshTokens.set(r.newTokenHash.toString('hex'), { sessionId: r.session.id, generation: r.newGeneration, createdAt: r.now });
      const device = tables.devices.get(r.session.deviceId);
      if (device && device.lastSeenAt.getTime() < r.now.getTime()) tables.devices.set(device.id, { ...device, lastSeenAt: r.now });
      const version = owner.eventVersion + 1;
      tables.users.set(owner.id, { ...owner, eventVersion: version });
      tables.activity.set(r.activityId, refreshedEntry(r, null));
      const rotated = {
        ...row,
        refreshGeneration: r.newGeneration,
        refreshCommittedGeneration: r.newGeneration - 1,
        refreshRotatedAt: r.now,
        refreshSuccessorCiphertext: r.successorCiphertext,
        lastActivityAt: new Date(Math.max(row.lastActivityAt.getTime(), r.now.getTime())),
        ipAddress: r.ipAddress ?? row.ipAddress,
        userAgent: r.userAgent ?? row.userAgent,
      };
      tables.sessions.set(row.id, rotated);
      return { session: toSession(rotated), version, recorded };
    });
  }

  async recordReplay(tx: EntityManager, r: Replay): Promise<void> {
    await this.db.inTransaction(`${NAME}.recordReplay`, tx, (tables) => {
      tables.activity.set(r.activityId, refreshedEntry(r, { ...REPLAYED_DETAILS }));
    });
  }
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
function refreshedEntry(r: Replay, details: Record<string, unknown> | null) {
  return {
    id: r.activityId,
    userId: r.session.userId,
    sessionId: r.session.id,
    type: SessionActivityType.TOKEN_REFRESHED,
    occurredAt: r.now,
    ipAddress: r.ipAddress,
    userAgent: r.userAgent,
    details,
  };
}
