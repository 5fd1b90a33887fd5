import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../../../config/app-config.js';
import { preparedOn, queryRows, queryUpdateOrDelete, type PreparedStatement } from '../../../database/typed-query.js';
import { Role } from '../../../kernel/role.js';
import type { AddressHistoryRow } from '../../activity/data/session-activity.repository.js';
import { ADDRESS_USE_TYPES, REPLAYED_DETAILS, SessionActivityType, type AddressHistory } from '../../activity/domain/session-activity.js';
import type { Device } from '../../device/domain/device.js';
import { toDevice, type PrefixedDeviceRow } from '../../device/data/device.repository.js';
import type { User } from '../../user/domain/user.js';
import type { AuthenticationMethod, Session } from '../domain/session.js';
import type { RotationState, StoredTokenHashes } from '../domain/token-rotation.policy.js';
import { SESSION_COLUMNS, toSession, type SessionRow } from './session.repository.js';
import {
  FORGET_SPENT_SUCCESSORS_SQL,
  LOCK_BY_LEGACY_TOKEN_SQL,
  LOCK_BY_SESSION_SQL,
  READ_FOR_REFRESH_SQL,
  RECORD_REPLAY_SQL,
  ROTATE_IF_UNCHANGED_SQL,
  ROTATE_SQL,
  rotateIfUnchangedParameters,
  rotateParameters,
  type ReadRotationState,
  type RotationWrite,
} from './session-rotation.sql.js';

/**
 * LOCK_BY_SESSION_SQL's and LOCK_BY_LEGACY_TOKEN_SQL's row: the session with its rotation
 * columns, its device under `device.` and the user; the legacy one adds the presented generation.
 */
interface LockedRotationRow extends SessionRow, PrefixedDeviceRow<'device.'> {
  readonly refreshGeneration: number;
  readonly refreshCommittedGeneration: number;
  readonly refreshRotatedAt: Date | null;
  readonly refreshSuccessorCiphertext: Buffer | null;
  readonly refreshTokenHash: Buffer | null;
  readonly refreshParentHash: Buffer | null;
  readonly presentedGeneration?: number;
  readonly userEmail: string;
  readonly userRoles: string[];
  readonly userCreatedAt: Date;
  readonly userDisabledAt: Date | null;
  readonly userVersion: number;
}

/** READ_FOR_REFRESH_SQL's row: LOCK_BY_SESSION_SQL's, with what the log holds about the address. */
type ReadRotationRow = LockedRotationRow & AddressHistoryRow;

/** ROTATE_SQL's row: the session after the rotation, the user's reserved event version, and what the log held before. */
interface RotatedSessionRow extends SessionRow, AddressHistoryRow {
  readonly version: number;
}

/** A session, read under the user's and the session's row locks, for a refresh token presented for it. */
export interface LockedSession {
  readonly session: Session;
  readonly user: User;
  readonly device: Device;
  readonly rotation: RotationState;
  readonly successorCiphertext: Buffer | null;
  /** The hashes of the current token and of its parent; null where that token is of the legacy format. */
  readonly tokenHashes: StoredTokenHashes;
  /** The user's last event version, read under the user's lock. */
  readonly userVersion: number;
}

/** A presented refresh token's session, locked, and the generation the token was recognised as. */
export interface LockedRotation extends LockedSession {
  readonly presentedGeneration: number;
}

/** A session read for a refresh without its locks, with what the log held about the client's address. */
export interface ReadSession extends LockedSession {
  readonly recorded: AddressHistory;
}

/** A rotation's outcome: the session after it and the user's event version it took. */
export interface Rotated {
  readonly session: Session;
  readonly version: number;
}

export interface Replay {
  readonly session: Session;
  readonly now: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly activityId: string;
}

/**
 * The refresh rotation, the service's busiest write, in two statements: one that finds and
 * locks, one that writes. Every statement is a round trip to the database, and round trips
 * (not SQL work) are what a rotation costs, so the user lock, the token lookup, the session lock
 * and the device read share one statement, and the session (with the new token's hash), the device's
 * last-seen time, the user's event version, the activity entry and the outbox row share the other. It therefore reads and writes
 * the users', devices' and activity tables itself, the one place in the session module that does.
 * A replay, rarer, adds its activity entry as a statement of its own; the encrypted successor the
 * rotation keeps for replays is deleted here too, once nothing can replay it.
 */
@Injectable()
export class SessionRotationRepository {
  private readonly lockStatement: PreparedStatement | string;
  private readonly legacyLockStatement: PreparedStatement | string;
  private readonly rotateStatement: PreparedStatement | string;
  private readonly readStatement: PreparedStatement | string;
  private readonly rotateIfUnchangedStatement: PreparedStatement | string;

  constructor(
    @InjectDataSource() private readonly db: DataSource,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.lockStatement = preparedOn(config.database.kind, 'tessera_rotation_lock', LOCK_BY_SESSION_SQL);
    this.legacyLockStatement = preparedOn(config.database.kind, 'tessera_rotation_lock_legacy', LOCK_BY_LEGACY_TOKEN_SQL);
    this.rotateStatement = preparedOn(config.database.kind, 'tessera_rotation_write', ROTATE_SQL);
    this.readStatement = preparedOn(config.database.kind, 'tessera_rotation_read', READ_FOR_REFRESH_SQL);
    this.rotateIfUnchangedStatement = preparedOn(config.database.kind, 'tessera_rotation_write_if_unchanged', ROTATE_IF_UNCHANGED_SQL);
  }

  /**
   * The session a current-format token names, read outside any transaction and without locks,
   * with the log's answer about `ipAddress` (from `addressKnownSince` up to `now`); undefined if
   * there is no such session. What a refresh decides on before rotateIfUnchanged.
   */
  async readForRefresh(sessionId: string, at: { ipAddress: string | null; addressKnownSince: Date; now: Date }): Promise<ReadSession | undefined> {
    const rows = await queryRows<ReadRotationRow>(this.db, this.readStatement, [
      sessionId,
      at.ipAddress,
      at.addressKnownSince,
      at.now,
      ADDRESS_USE_TYPES,
    ]);
    const row = rows[0];
    return row && { ...toLockedSession(row), recorded: { hasEarlierActivity: row.hasEarlierActivity, ipSeenRecently: row.ipSeenRecently } };
  }

  /**
   * rotate, outside any transaction, for a refresh decided on readForRefresh: one statement that
   * writes everything only if what `read` says still holds, and otherwise nothing (undefined).
   */
  async rotateIfUnchanged(write: RotationWrite, read: ReadRotationState): Promise<Rotated | undefined> {
    const rows = await queryRows<SessionRow & { readonly version: number }>(this.db, this.rotateIfUnchangedStatement, rotateIfUnchangedParameters(write, read));
    const row = rows[0];
    return row && { session: toSession(row), version: row.version };
  }

  /** The session a current-format token names, locked (user, then session); undefined if there is no such session. */
  async lockForRefresh(tx: EntityManager, sessionId: string): Promise<LockedSession | undefined> {
    const rows = await queryRows<LockedRotationRow>(tx, this.lockStatement, [sessionId]);
    return rows[0] && toLockedSession(rows[0]);
  }

  /** A legacy-format token's session, locked, with the generation refresh_tokens records; undefined for a token never issued (or whose rows are gone). */
  async lockByLegacyToken(tx: EntityManager, tokenHash: Buffer): Promise<LockedRotation | undefined> {
    const rows = await queryRows<LockedRotationRow>(tx, this.legacyLockStatement, [tokenHash]);
    const row = rows[0];
    if (!row || row.presentedGeneration === undefined) return undefined;
    return { ...toLockedSession(row), presentedGeneration: row.presentedGeneration };
  }

  /**
   * Issues generation n+1 and reserves the user's next event version, and says what the log held
   * before its entry. Presenting generation n proves the client holds it, so n is committed; the
   * statement's generation condition makes a second successor impossible.
   */
  async rotate(tx: EntityManager, write: RotationWrite): Promise<Rotated & { recorded: AddressHistory }> {
    const { rows } = await queryUpdateOrDelete<RotatedSessionRow>(tx, this.rotateStatement, rotateParameters(write));
    const row = rows[0];
    // The caller holds the lock and read generation n, so this cannot happen; if it did, the
    // transaction must not commit the statement's other writes, and no token may go out.
    if (!row) throw new Error(`rotation of session ${write.sessionId} to generation ${write.newGeneration} found another generation`);
    return { session: toSession(row), version: row.version, recorded: { hasEarlierActivity: row.hasEarlierActivity, ipSeenRecently: row.ipSeenRecently } };
  }

  /** The replay's activity entry, in the transaction that decided the replay under the session's lock. */
  async recordReplay(tx: EntityManager, r: Replay): Promise<void> {
    await tx.query(RECORD_REPLAY_SQL, [
      r.activityId,
      r.session.userId,
      r.session.id,
      SessionActivityType.TOKEN_REFRESHED,
      r.now,
      r.ipAddress,
      r.userAgent,
      JSON.stringify(REPLAYED_DETAILS),
    ]);
  }

  /**
   * Inside a change holding the user's lock: the session, locked, with its current refresh
   * generation; for a reauthentication, which issues the next one.
   */
  async lockSession(tx: EntityManager, sessionId: string): Promise<{ session: Session; generation: number } | undefined> {
    const rows = await queryRows<SessionRow & { readonly refreshGeneration: number }>(
      tx,
      `SELECT ${SESSION_COLUMNS}, refresh_generation AS "refreshGeneration" FROM sessions WHERE id = $1 FOR UPDATE`,
      [sessionId],
    );
    return rows[0] ? { session: toSession(rows[0]), generation: rows[0].refreshGeneration } : undefined;
  }

  /**
   * Issues generation n+1 of a session locked by lockSession, as a fresh proof of identity: the
   * session's authenticatedAt moves to `now`. Token n is left as a rotation leaves its parent
   * (the app may not have received the answer): presented before the new tokens are used, it is
   * answered with the same successor.
   */
  async reissue(
    tx: EntityManager,
    w: {
      sessionId: string;
      newGeneration: number;
      newTokenHash: Buffer;
      successorCiphertext: Buffer;
      now: Date;
      authenticationMethod: AuthenticationMethod;
    },
  ): Promise<Session> {
    const { rows } = await queryUpdateOrDelete<SessionRow>(
      tx,
      // As ROTATE_SQL: the hashes move down one generation, on the row only, and only from generation n.
      `UPDATE sessions SET
         refresh_generation = $3,
         refresh_committed_generation = $3 - 1,
         refresh_rotated_at = $4,
         refresh_successor_ciphertext = $5,
         refresh_token_hash = $2,
         refresh_parent_hash = refresh_token_hash,
         authenticated_at = $4,
         authentication_method = $6,
         last_activity_at = GREATEST(last_activity_at, $4)
       WHERE id = $1 AND refresh_generation = $3 - 1
       RETURNING ${SESSION_COLUMNS}`,
      [w.sessionId, w.newTokenHash, w.newGeneration, w.now, w.successorCiphertext, w.authenticationMethod],
    );
    if (!rows[0]) throw new Error(`reissue of session ${w.sessionId} to generation ${w.newGeneration} found another generation`);
    return toSession(rows[0]);
  }

  /** One batch of FORGET_SPENT_SUCCESSORS_SQL, in a transaction of its own; returns how many were deleted. */
  async forgetSpentSuccessors(rotatedBy: Date, limit: number): Promise<number> {
    const { affected } = await queryUpdateOrDelete(this.db, FORGET_SPENT_SUCCESSORS_SQL, [rotatedBy, limit]);
    return affected;
  }
}

function toLockedSession(row: LockedRotationRow): LockedSession {
  const session = toSession(row);
  return {
    session,
    user: { id: session.userId, email: row.userEmail, roles: row.userRoles.map((role) => role as Role), createdAt: row.userCreatedAt,
      disabledAt: row.userDisabledAt,
    },
    device: toDevice(row, 'device.'),
    successorCiphertext: row.refreshSuccessorCiphertext,
    tokenHashes: { current: row.refreshTokenHash, parent: row.refreshParentHash },
    userVersion: row.userVersion,
    rotation: {
      status: session.status,
      lastActivityAt: session.lastActivityAt,
      expiresAt: session.expiresAt,
      generation: row.refreshGeneration,
      committedGeneration: row.refreshCommittedGeneration,
      rotatedAt: row.refreshRotatedAt,
    },
  };
}
