import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { queryRows, queryUpdateOrDelete } from '../../../database/typed-query.js';
import type { Role } from '../../../kernel/role.js';
import { SessionEndReason, SessionStatus, type Session } from '../domain/session.js';

export const SESSION_COLUMNS = `id, user_id AS "userId", device_id AS "deviceId", status, end_reason AS "endReason",
  created_at AS "createdAt", authenticated_at AS "authenticatedAt", dpop_jkt AS "deviceKeyThumbprint",
  authentication_method AS "authenticationMethod", last_activity_at AS "lastActivityAt", expires_at AS "expiresAt", ended_at AS "endedAt",
  ip_address AS "ipAddress", user_agent AS "userAgent"`;

/** A session as SESSION_COLUMNS selects it; toSession narrows the two varchar columns to their enums. */
export interface SessionRow {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly status: string;
  readonly endReason: string | null;
  readonly createdAt: Date;
  readonly authenticatedAt: Date;
  readonly deviceKeyThumbprint: string | null;
  readonly authenticationMethod: string;
  readonly lastActivityAt: Date;
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export const toSession = (row: SessionRow): Session => ({
  id: row.id,
  userId: row.userId,
  deviceId: row.deviceId,
  status: row.status as SessionStatus,
  endReason: row.endReason as SessionEndReason | null,
  createdAt: row.createdAt,
  authenticatedAt: row.authenticatedAt,
  deviceKeyThumbprint: row.deviceKeyThumbprint,
  authenticationMethod: row.authenticationMethod === 'hwk' ? 'hwk' : 'pwd',
  lastActivityAt: row.lastActivityAt,
  expiresAt: row.expiresAt,
  endedAt: row.endedAt,
  ipAddress: row.ipAddress,
  userAgent: row.userAgent,
});

/** The fields the guard needs on every request, and nothing else. */
export interface SessionAuthState {
  readonly userId: string;
  readonly status: SessionStatus;
  readonly lastActivityAt: Date;
  readonly expiresAt: Date;
  readonly committedGeneration: number;
  /** The user's roles as the database has them now: a demotion bites before the token expires. */
  readonly roles: readonly Role[];
}

/**
 * getAuthStates' row: the session's SessionAuthState as it is, plus its id. The status column's
 * CHECK admits only SessionStatus values, and users.roles only Role values ('{USER}' by default,
 * otherwise written from Role).
 */
interface SessionAuthStateRow {
  readonly id: string;
  readonly userId: string;
  readonly status: SessionStatus;
  readonly lastActivityAt: Date;
  readonly expiresAt: Date;
  readonly committedGeneration: number;
  readonly roles: readonly Role[];
}

interface UserIdRow {
  readonly userId: string;
}

export interface NewSession {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly now: Date;
  readonly expiresAt: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly refreshTokenHash: Buffer;
  /** The device key the login proved possession of (DPoP): the session is bound to it. */
  readonly deviceKeyThumbprint: string | null;
}

@Injectable()
export class SessionRepository {
  constructor(@InjectDataSource() private readonly db: DataSource) {}

  transaction<T>(work: (tx: EntityManager) => Promise<T>): Promise<T> {
    return this.db.transaction(work);
  }

  async insert(tx: EntityManager, s: NewSession): Promise<Session> {
    const rows = await queryRows<SessionRow>(
      tx,
      // Generation 0's hash lives on the session row, as every later generation's does: no row per token.
      `INSERT INTO sessions (id, user_id, device_id, status, created_at, authenticated_at, last_activity_at, expires_at, ip_address, user_agent, dpop_jkt,
                             refresh_token_hash)
       VALUES ($1, $2, $3, 'ACTIVE', $4, $4, $4, $5, $6, $7, $8, $9)
       RETURNING ${SESSION_COLUMNS}`,
      [s.id, s.userId, s.deviceId, s.now, s.expiresAt, s.ipAddress, s.userAgent, s.deviceKeyThumbprint, s.refreshTokenHash],
    );
    return toSession(rows[0]);
  }

  /**
   * Ends the session if it is still active: a conditional update, so of two concurrent enders
   * exactly one wins and the reason recorded is the first one's. Returns the ended session, or
   * undefined when it had already ended.
   */
  async end(
    tx: EntityManager,
    sessionId: string,
    status: SessionStatus,
    reason: SessionEndReason,
    now: Date,
  ): Promise<Session | undefined> {
    const [ended] = await endSessionsWhere(tx, { status: '$2', reason: '$3', at: '$4' }, 'id = $1', [sessionId, status, reason, now]);
    return ended;
  }

  /**
   * Keeps the user's `keep` most recently active live sessions and ends the rest with
   * SESSION_LIMIT. Sessions already past a timeout are left to the sweeper: they do not count.
   */
  async endBeyondLimit(tx: EntityManager, userId: string, keep: number, now: Date, idleCutoff: Date): Promise<Session[]> {
    return endSessionsWhere(
      tx,
      { status: `'REVOKED'`, reason: `'SESSION_LIMIT'`, at: '$3' },
      `id IN (
          SELECT id FROM sessions
           WHERE user_id = $1 AND ${LIVE_AT('$3', '$4')}
           ORDER BY last_activity_at DESC, created_at DESC, id
           OFFSET $2)`,
      [userId, keep, now, idleCutoff],
    );
  }

  async endAllOnDevice(tx: EntityManager, deviceId: string, reason: SessionEndReason, now: Date): Promise<Session[]> {
    return endSessionsWhere(tx, { status: `'REVOKED'`, reason: '$2', at: '$3' }, 'device_id = $1', [deviceId, reason, now]);
  }

  /** Users with sessions past their absolute lifetime or idle cutoff, for the sweeper. */
  async findUsersWithExpiredSessions(now: Date, idleCutoff: Date, limit: number): Promise<string[]> {
    const rows = await queryRows<UserIdRow>(
      this.db,
      `SELECT DISTINCT user_id AS "userId" FROM (
         SELECT user_id FROM sessions
          WHERE status = 'ACTIVE' AND ${RUN_OUT_AT('$1', '$2')}
          LIMIT $3) expired`,
      [now, idleCutoff, limit],
    );
    return rows.map((row) => row.userId);
  }

  /**
   * Ends the user's sessions past their absolute lifetime or idle cutoff. SKIP LOCKED leaves
   * alone a session that a refresh holds right now (it decides about expiry itself), and the
   * conditional update ends each session once however many instances sweep.
   */
  async endExpiredOfUser(tx: EntityManager, userId: string, now: Date, idleCutoff: Date): Promise<Session[]> {
    return endSessionsWhere(
      tx,
      { status: `'EXPIRED'`, reason: `CASE WHEN expires_at <= $2 THEN 'ABSOLUTE_TIMEOUT' ELSE 'IDLE_TIMEOUT' END`, at: '$2' },
      `id IN (
          SELECT id FROM sessions
           WHERE user_id = $1 AND status = 'ACTIVE' AND ${RUN_OUT_AT('$2', '$3')}
           FOR UPDATE SKIP LOCKED)`,
      [userId, now, idleCutoff],
    );
  }

  /**
   * Legacy-format refresh-token hashes (refresh_tokens, no longer written) are only needed while
   * reuse can still be detected in a live session.
   */
  async deleteRefreshTokensOfSessionsEndedBefore(cutoff: Date): Promise<number> {
    const { affected } = await queryUpdateOrDelete(
      this.db,
      `DELETE FROM refresh_tokens WHERE session_id IN (SELECT id FROM sessions WHERE status <> 'ACTIVE' AND ended_at < $1)`,
      [cutoff],
    );
    return affected;
  }

  async endAllForUser(
    tx: EntityManager,
    userId: string,
    exceptSessionId: string | null,
    reason: SessionEndReason,
    now: Date,
  ): Promise<Session[]> {
    return endSessionsWhere(tx, { status: `'REVOKED'`, reason: '$3', at: '$4' }, 'user_id = $1 AND ($2::uuid IS NULL OR id <> $2::uuid)', [
      userId,
      exceptSessionId,
      reason,
      now,
    ]);
  }

  async getById(id: string): Promise<Session | undefined> {
    const rows = await queryRows<SessionRow>(this.db, `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]);
    return rows[0] ? toSession(rows[0]) : undefined;
  }

  /** Active and not yet run out at `now`, whether or not the sweeper has caught up with them. */
  async listActive(userId: string, now: Date, idleTimeoutMs: number): Promise<Session[]> {
    const rows = await queryRows<SessionRow>(
      this.db,
      `SELECT ${SESSION_COLUMNS} FROM sessions
        WHERE user_id = $1 AND ${LIVE_AT('$2', '$3')}
        ORDER BY last_activity_at DESC, id`,
      [userId, now, new Date(now.getTime() - idleTimeoutMs)],
    );
    return rows.map(toSession);
  }

  /** When the session's user last proved who they are on it; undefined for no such session. */
  async authenticatedAt(sessionId: string): Promise<Date | undefined> {
    const rows = await queryRows<{ readonly authenticatedAt: Date }>(
      this.db,
      `SELECT authenticated_at AS "authenticatedAt" FROM sessions WHERE id = $1`,
      [sessionId],
    );
    return rows[0]?.authenticatedAt;
  }

  async getAuthState(sessionId: string): Promise<SessionAuthState | undefined> {
    return (await this.getAuthStates([sessionId])).get(sessionId);
  }

  /** One read for many sessions: the socket registry re-checks every open socket this way. */
  async getAuthStates(sessionIds: readonly string[]): Promise<Map<string, SessionAuthState>> {
    if (sessionIds.length === 0) return new Map();
    const rows = await queryRows<SessionAuthStateRow>(
      this.db,
      `SELECT s.id, s.user_id AS "userId", s.status, s.last_activity_at AS "lastActivityAt", s.expires_at AS "expiresAt",
              s.refresh_committed_generation AS "committedGeneration", u.roles
         FROM sessions s JOIN users u ON u.id = s.user_id
        WHERE s.id = ANY($1::uuid[])`,
      [sessionIds],
    );
    return new Map(rows.map(({ id, ...state }) => [id, state]));
  }

  /**
   * Moves lastActivityAt forward and commits the generation an access token was minted with,
   * in one write, only while the session is active.
   */
  async touch(sessionId: string, now: Date, generation: number): Promise<void> {
    await this.db.query(
      `UPDATE sessions SET
         last_activity_at = GREATEST(last_activity_at, $2),
         refresh_committed_generation = GREATEST(refresh_committed_generation, LEAST($3, refresh_generation))
        WHERE id = $1 AND status = 'ACTIVE'`,
      [sessionId, now, generation],
    );
  }
}

/**
 * The one rule for a session that has run out: past its absolute lifetime at `now`, or idle since
 * `idleCutoff` (SQL expressions, usually parameters). A live session is an active one that has
 * not run out: what the requests list and the session limit counts; the sweeper ends the active
 * ones that have. Written as an OR so that the sweeper's search stays two scans of the partial
 * indexes on active sessions' expiry and last activity.
 */
const RUN_OUT_AT = (now: string, idleCutoff: string): string => `(expires_at <= ${now} OR last_activity_at <= ${idleCutoff})`;
const LIVE_AT = (now: string, idleCutoff: string): string => `status = 'ACTIVE' AND NOT ${RUN_OUT_AT(now, idleCutoff)}`;

/**
 * The one way sessions end: ACTIVE → `status`, with the reason and the time, and the replay copy
 * of the refresh token dropped. Conditional on ACTIVE, so of two concurrent enders exactly one
 * wins and the reason recorded is the first one's. `ending` holds SQL expressions (parameters,
 * literals, a CASE) over the session's own columns.
 */
async function endSessionsWhere(
  tx: EntityManager,
  ending: { readonly status: string; readonly reason: string; readonly at: string },
  where: string,
  parameters: readonly unknown[],
): Promise<Session[]> {
  const { rows } = await queryUpdateOrDelete<SessionRow>(
    tx,
    `UPDATE sessions SET status = ${ending.status}, end_reason = ${ending.reason}, ended_at = ${ending.at}, refresh_successor_ciphertext = NULL
      WHERE ${where} AND status = 'ACTIVE'
      RETURNING ${SESSION_COLUMNS}`,
    parameters,
  );
  return rows.map(toSession);
}
