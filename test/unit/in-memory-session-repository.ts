import type { EntityManager } from 'typeorm';
import type { NewSession, SessionAuthState, SessionRepository } from '../../src/modules/session/data/session.repository.js';
import { SessionEndReason, SessionStatus, type Session } from '../../src/modules/session/domain/session.js';
import type { InMemoryDatabase, SessionRow, Tables } from './in-memory-database.js';

const NAME = 'SessionRepository';

/** The session's public shape, without the refresh columns: what SESSION_COLUMNS selects. */
export const toSession = (row: SessionRow): Session => ({
  id: row.id,
  userId: row.userId,
  deviceId: row.deviceId,
  status: row.status,
  endReason: row.endReason,
  createdAt: row.createdAt,
  authenticatedAt: row.authenticatedAt,
  deviceKeyThumbprint: row.deviceKeyThumbprint,
  authenticationMethod: row.authenticationMethod,
  lastActivityAt: row.lastActivityAt,
  expiresAt: row.expiresAt,
  endedAt: row.endedAt,
  ipAddress: row.ipAddress,
  userAgent: row.userAgent,
});

/** ORDER BY last_activity_at DESC, created_at DESC, id */
const mostRecentlyActiveFirst = (a: SessionRow, b: SessionRow): number =>
  b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || b.createdAt.getTime() - a.createdAt.getTime() || a.id.localeCompare(b.id);

/**
 * SessionRepository's SQL as map operations, for the methods the domain services call. Each
 * conditional UPDATE ... WHERE status = 'ACTIVE' keeps its meaning: of two enders only the first
 * ends the session, and the second is told it had already ended.
 */
export class InMemorySessionRepository implements Pick<
  SessionRepository,
  | 'transaction'
  | 'insert'
  | 'end'
  | 'endBeyondLimit'
  | 'endAllOnDevice'
  | 'endExpiredOfUser'
  | 'endAllForUser'
  | 'getById'
  | 'listActive'
  | 'getAuthState'
  | 'authenticatedAt'
  | 'getAuthStates'
  | 'touch'
> {
  constructor(private readonly db: InMemoryDatabase) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  insert(tx: EntityManager, s: NewSession): Promise<Session> {
    return this.db.inTransaction(`${NAME}.insert`, tx, (tables) => {
      this.db.assertUserLocked(tx, s.userId, `${NAME}.insert`);
      if (!tables.users.has(s.userId)) throw new Error('insert violates foreign key sessions_user_id_fkey');
      if (!tables.devices.has(s.deviceId)) throw new Error('insert violates foreign key sessions_device_id_fkey');
      if (tables.sessions.has(s.id)) throw new Error('duplicate key value violates unique constraint sessions_pkey');
      const row: SessionRow = {
        id: s.id,
        userId: s.userId,
        deviceId: s.deviceId,
        status: SessionStatus.ACTIVE,
        endReason: null,
        createdAt: s.now,
        authenticatedAt: s.now,
        deviceKeyThumbprint: s.deviceKeyThumbprint,
        authenticationMethod: 'pwd',
        lastActivityAt: s.now,
        expiresAt: s.expiresAt,
        endedAt: null,
        ipAddress: s.ipAddress,
        userAgent: s.userAgent,
        refreshGeneration: 0,
        refreshCommittedGeneration: 0,
        refreshRotatedAt: null,
        refreshSuccessorCiphertext: null,
        refreshTokenHash: s.refreshTokenHash,
        refreshParentHash: null,
      };
      tables.sessions.set(row.id, row);
      return toSession(row);
    });
  }

  end(tx: EntityManager, sessionId: string, status: SessionStatus, reason: SessionEndReason, now: Date): Promise<Session | undefined> {
    return this.db.inTransaction(`${NAME}.end`, tx, (tables) => {
      const row = tables.sessions.get(sessionId);
      if (row?.status !== SessionStatus.ACTIVE) return undefined;
      this.db.assertUserLocked(tx, row.userId, `${NAME}.end`);
      return endRow(tables, row, status, reason, now);
    });
  }

  endBeyondLimit(tx: EntityManager, userId: string, keep: number, now: Date, idleCutoff: Date): Promise<Session[]> {
    return this.db.inTransaction(`${NAME}.endBeyondLimit`, tx, (tables) => {
      this.db.assertUserLocked(tx, userId, `${NAME}.endBeyondLimit`);
      return [...tables.sessions.values()]
        .filter(
          (s) =>
            s.userId === userId &&
            s.status === SessionStatus.ACTIVE &&
            s.expiresAt.getTime() > now.getTime() &&
            s.lastActivityAt.getTime() > idleCutoff.getTime(),
        )
        .sort(mostRecentlyActiveFirst)
        .slice(keep)
        .map((row) => endRow(tables, row, SessionStatus.REVOKED, SessionEndReason.SESSION_LIMIT, now));
    });
  }

  endAllOnDevice(tx: EntityManager, deviceId: string, reason: SessionEndReason, now: Date): Promise<Session[]> {
    return this.db.inTransaction(`${NAME}.endAllOnDevice`, tx, (tables) =>
      [...tables.sessions.values()]
        .filter((s) => s.deviceId === deviceId && s.status === SessionStatus.ACTIVE)
        .map((row) => {
          this.db.assertUserLocked(tx, row.userId, `${NAME}.endAllOnDevice`);
          return endRow(tables, row, SessionStatus.REVOKED, reason, now);
        }),
    );
  }

  endExpiredOfUser(tx: EntityManager, userId: string, now: Date, idleCutoff: Date): Promise<Session[]> {
    return this.db.inTransaction(`${NAME}.endExpiredOfUser`, tx, (tables) => {
      this.db.assertUserLocked(tx, userId, `${NAME}.endExpiredOfUser`);
      return [...tables.sessions.values()]
        .filter(
          (s) =>
            s.userId === userId &&
            s.status === SessionStatus.ACTIVE &&
            (s.expiresAt.getTime() <= now.getTime() || s.lastActivityAt.getTime() <= idleCutoff.getTime()),
        )
        .map((row) =>
          endRow(
            tables,
            row,
            SessionStatus.EXPIRED,
            row.expiresAt.getTime() <= now.getTime() ? SessionEndReason.ABSOLUTE_TIMEOUT : SessionEndReason.IDLE_TIMEOUT,
            now,
          ),
        );
    });
  }

  endAllForUser(
    tx: EntityManager,
    userId: string,
    exceptSessionId: string | null,
    reason: SessionEndReason,
    now: Date,
  ): Promise<Session[]> {
    return this.db.inTransaction(`${NAME}.endAllForUser`, tx, (tables) => {
      this.db.assertUserLocked(tx, userId, `${NAME}.endAllForUser`);
      return [...tables.sessions.values()]
        .filter((s) => s.userId === userId && s.status === SessionStatus.ACTIVE && s.id !== exceptSessionId)
        .map((row) => endRow(tables, row, SessionStatus.REVOKED, reason, now));
    });
  }

  getById(id: string): Promise<Session | undefined> {
    return this.db.read(`${NAME}.getById`, (tables) => {
      const row = tables.sessions.get(id);
      return row && toSession(row);
    });
  }

  listActive(userId: string, now: Date, idleTimeoutMs: number): Promise<Session[]> {
    const idleCutoff = now.getTime() - idleTimeoutMs;
    return this.db.read(`${NAME}.listActive`, (tables) =>
      [...tables.sessions.values()]
        .filter(
          (s) =>
            s.userId === userId &&
            s.status === SessionStatus.ACTIVE &&
            s.expiresAt.getTime() > now.getTime() &&
            s.lastActivityAt.getTime() > idleCutoff,
        )
        .sort((a, b) => b.lastActivityAt.getTime() - a.lastActivityAt.getTime() || a.id.localeCompare(b.id))
        .map(toSession),
    );
  }

  authenticatedAt(sessionId: string): Promise<Date | undefined> {
    return this.db.read(`${NAME}.authenticatedAt`, (tables) => tables.sessions.get(sessionId)?.authenticatedAt);
  }

  async getAuthState(sessionId: string): Promise<SessionAuthState | undefined> {
    return (await this.getAuthStates([sessionId])).get(sessionId);
  }

  async getAuthStates(sessionIds: readonly string[]): Promise<Map<string, SessionAuthState>> {
    // The real method answers an empty list without a round trip.
    if (sessionIds.length === 0) return new Map();
    return this.db.read(`${NAME}.getAuthStates`, (tables) => {
      const states = new Map<string, SessionAuthState>();
      for (const id of sessionIds) {
        const row = tables.sessions.get(id);
        const user = row && tables.users.get(row.userId);
        if (!row || !user) continue;
        states.set(id, {
          userId: row.userId,
          status: row.status,
          lastActivityAt: row.lastActivityAt,
          expiresAt: row.expiresAt,
          committedGeneration: row.refreshCommittedGeneration,
          roles: user.roles,
        });
      }
      return states;
    });
  }

  async touch(sessionId: string, now: Date, generation: number): Promise<void> {
    await this.db.write(`${NAME}.touch`, (tables) => {
      const row = tables.sessions.get(sessionId);
      if (row?.status !== SessionStatus.ACTIVE) return;
      tables.sessions.set(sessionId, {
        ...row,
        lastActivityAt: new Date(Math.max(row.lastActivityAt.getTime(), now.getTime())),
        refreshCommittedGeneration: Math.max(row.refreshCommittedGeneration, Math.min(generation, row.refreshGeneration)),
      });
    });
  }
}

/** Every end clears the stored successor: an ended session has nothing left to replay. */
function endRow(tables: Tables, row: SessionRow, status: SessionStatus, reason: SessionEndReason, now: Date): Session {
  const ended: SessionRow = { ...row, status, endReason: reason, endedAt: now, refreshSuccessorCiphertext: null };
  tables.sessions.set(row.id, ended);
  return toSession(ended);
}
