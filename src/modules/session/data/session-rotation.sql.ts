import { addressHistoryColumns } from '../../activity/data/session-activity.repository.js';
import { ADDRESS_USE_TYPES, SessionActivityType } from '../../activity/domain/session-activity.js';
import { deviceColumns } from '../../device/data/device.repository.js';
import { SESSION_COLUMNS } from './session.repository.js';

// The refresh rotation's two statements, apart from their repository so that the bench's
// rotation ceiling sends exactly what the service sends; and the two that record a replay and
// delete the stored successor once it is spent.

const ROTATION_COLUMNS = `refresh_generation AS "refreshGeneration", refresh_committed_generation AS "refreshCommittedGeneration",
  refresh_rotated_at AS "refreshRotatedAt", refresh_successor_ciphertext AS "refreshSuccessorCiphertext",
  refresh_token_hash AS "refreshTokenHash", refresh_parent_hash AS "refreshParentHash"`;

/** The locking CTE's user columns, named so that they cannot clash with the session's. */
const OWNER_COLUMNS = `u.id AS owner_id, u.email AS owner_email, u.roles AS owner_roles, u.created_at AS owner_created_at,
            u.event_version AS owner_version, u.disabled_at AS owner_disabled_at`;

const LOCKED_USER_COLUMNS = `owner_email AS "userEmail", owner_roles AS "userRoles", owner_created_at AS "userCreatedAt", owner_version AS "userVersion",
          owner_disabled_at AS "userDisabledAt"`;

/** Session $1 with its rotation columns, its device and its user; `locks` as LOCK_BY_SESSION_SQL takes them. */
const sessionForRefresh = (locks: { user: string; session: string }, moreColumns = '') => `WITH owner AS (
     SELECT ${OWNER_COLUMNS}
       FROM sessions s
       JOIN users u ON u.id = s.user_id
      WHERE s.id = $1${locks.user})
   SELECT ${SESSION_COLUMNS}, ${ROTATION_COLUMNS}, device.*, ${LOCKED_USER_COLUMNS}${moreColumns}
     FROM owner
     JOIN sessions ON sessions.id = $1 AND sessions.user_id = owner.owner_id
     JOIN LATERAL (SELECT ${deviceColumns('device.')} FROM devices WHERE id = sessions.device_id) device ON true${locks.session}`;

/**
 * Finds session $1, named by a current-format refresh token, and locks, in the order every other
 * change uses, user first, then session: the session row only comes out of the join once the CTE
 * has produced, and so locked, its user row. One statement, by primary key: no token index.
 */
export const LOCK_BY_SESSION_SQL = sessionForRefresh({
  user: `
        FOR NO KEY UPDATE OF u`,
  session: `
      FOR UPDATE OF sessions`,
});

/**
 * LOCK_BY_SESSION_SQL's read without its locks, outside any transaction, and what the activity log
 * holds about the user and address $2 (from $3, up to $4, entries of types $5): all a refresh
 * decides on. The first of the two round trips of a rotation in which nothing else takes part
 * (ROTATE_IF_UNCHANGED_SQL is the second).
 */
export const READ_FOR_REFRESH_SQL = sessionForRefresh(
  { user: '', session: '' },
  `,
     ${addressHistoryColumns({ userId: 'owner.owner_id', ipAddress: '$2', from: '$3', until: '$4', types: '$5' })}`,
);

/**
 * LOCK_BY_SESSION_SQL for a legacy-format token (hash $1), found through the refresh_tokens rows
 * written before tokens named their session; with the generation that row records. Goes away
 * with the table (ARCHITECTURE.md).
 */
export const LOCK_BY_LEGACY_TOKEN_SQL = `WITH owner AS (
     SELECT ${OWNER_COLUMNS}
       FROM refresh_tokens t
       JOIN sessions s ON s.id = t.session_id
       JOIN users u ON u.id = s.user_id
      WHERE t.token_hash = $1
        FOR NO KEY UPDATE OF u)
   SELECT ${SESSION_COLUMNS}, ${ROTATION_COLUMNS}, device.*,
          presented.generation AS "presentedGeneration", ${LOCKED_USER_COLUMNS}
     FROM owner
     JOIN (SELECT session_id, generation FROM refresh_tokens WHERE token_hash = $1) presented ON true
     JOIN sessions ON sessions.id = presented.session_id
     JOIN LATERAL (SELECT ${deviceColumns('device.')} FROM devices WHERE id = sessions.device_id) device ON true
      FOR UPDATE OF sessions`;

/**
 * The session row's part of a rotation to generation $5 (token hash $4) at $6, from address $7
 * with user agent $8, keeping successor ciphertext $9 for replays: the parent's hash is the one
 * it replaces (SET reads the row as it was).
 */
const ROTATION_SET = `
     refresh_generation = $5,
     refresh_committed_generation = $5 - 1,
     refresh_rotated_at = $6,
     refresh_successor_ciphertext = $9,
     refresh_token_hash = $4,
     refresh_parent_hash = refresh_token_hash,
     last_activity_at = GREATEST(last_activity_at, $6),
     ip_address = COALESCE($7, ip_address),
     user_agent = COALESCE($8, user_agent)`;

/**
 * Issues generation $5 (token hash $4) of session $1 at $6, records the client ($7 address,
 * $8 user agent), touches device $3, reserves user $2's next event version, appends activity
 * entry $10 of type $11, and writes the SESSION_REFRESHED event $14 to the outbox under that
 * version. Data-modifying CTEs run exactly once whether read or not, and no part of the statement
 * sees another's writes, so the two EXISTS report what the log held before this entry: any entry
 * of types $12, and one from address $7 since $13. Its parameters come from rotateParameters.
 *
 * The session row is all the token state there is: the new token's hash, and its parent's (the
 * hash it replaces: SET reads the row as it was), so the rows per session stay the same however
 * often it refreshes. It only updates a session still at generation $5 - 1: with the row lock,
 * the compare-and-set that makes a second successor of one generation impossible (it used to be
 * the unique (session, generation) key of refresh_tokens); no row back is an error, never a token.
 */
export const ROTATE_SQL = `WITH device AS (
     UPDATE devices SET last_seen_at = $6 WHERE id = $3 AND last_seen_at < $6),
   version AS (
     UPDATE users SET event_version = event_version + 1 WHERE id = $2 RETURNING event_version),
   activity AS (
     INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
     VALUES ($10, $2, $1, $11, $6, $7, $8, NULL)),
   outbox AS (
     INSERT INTO session_outbox (user_id, version, type, payload, created_at)
     SELECT $2, event_version, 'SESSION_REFRESHED', $14::json, $6 FROM version)
   UPDATE sessions SET ${ROTATION_SET}
   WHERE id = $1 AND refresh_generation = $5 - 1
   RETURNING ${SESSION_COLUMNS}, (SELECT event_version FROM version) AS "version",
     ${addressHistoryColumns({ userId: '$2', ipAddress: '$7', from: '$13', until: '$6', types: '$12' })}`;

/** What ROTATE_SQL writes, by name. */
export interface RotationWrite {
  readonly sessionId: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly newTokenHash: Buffer;
  readonly newGeneration: number;
  readonly now: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  readonly successorCiphertext: Buffer;
  readonly activityId: string;
  /** How far back an address counts as known (addressKnownSince(now)). */
  readonly addressKnownSince: Date;
  /** The SessionEventMessage devices receive; its version is the row's, which the statement reserves. */
  readonly event: object;
}

/** ROTATE_SQL's positional parameters, for the repository and for the bench's rotation ceiling alike. */
export const rotateParameters = (w: RotationWrite): unknown[] => [
  w.sessionId,
  w.userId,
  w.deviceId,
  w.newTokenHash,
  w.newGeneration,
  w.now,
  w.ipAddress,
  w.userAgent,
  w.successorCiphertext,
  w.activityId,
  SessionActivityType.TOKEN_REFRESHED,
  ADDRESS_USE_TYPES,
  w.addressKnownSince,
  JSON.stringify(w.event),
];

/**
 * ROTATE_SQL outside any transaction, for a refresh decided on READ_FOR_REFRESH_SQL's read: it
 * writes only if nothing it was decided on has changed since, and then nothing at all. It locks
 * user $2 first (the order of every change), only while the user is still at event version $13
 * and not disabled: every change a device sees takes a version, so the devices' message $12,
 * built from the read, is still true. The session must still hold token hash $14 as its current
 * token at generation $5 - 1, be active, end at $15 and be bound to key $16 (or to none, as read).
 * Every write hangs off the session's: no row back, and it wrote nothing, and the refresh goes the
 * locking way (LOCK_BY_SESSION_SQL, ROTATE_SQL) instead. $1 to $11 as ROTATE_SQL's.
 */
export const ROTATE_IF_UNCHANGED_SQL = `WITH owner AS (
     SELECT id AS owner_id FROM users WHERE id = $2 AND event_version = $13 AND disabled_at IS NULL
        FOR NO KEY UPDATE),
   rotated AS (
     UPDATE sessions SET ${ROTATION_SET}
       FROM owner
      WHERE id = $1 AND user_id = owner.owner_id AND refresh_generation = $5 - 1 AND refresh_token_hash = $14
        AND status = 'ACTIVE' AND expires_at = $15 AND dpop_jkt IS NOT DISTINCT FROM $16
     RETURNING ${SESSION_COLUMNS}),
   version AS (
     UPDATE users SET event_version = event_version + 1 FROM rotated WHERE users.id = rotated."userId" RETURNING event_version),
   device AS (
     UPDATE devices SET last_seen_at = $6 WHERE id = $3 AND last_seen_at < $6 AND EXISTS (SELECT 1 FROM rotated)),
   activity AS (
     INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
     SELECT $10::uuid, $2, $1, $11::varchar, $6, $7, $8, NULL FROM rotated),
   outbox AS (
     INSERT INTO session_outbox (user_id, version, type, payload, created_at)
     SELECT $2, event_version, 'SESSION_REFRESHED', $12::json, $6 FROM version)
   SELECT rotated.*, version.event_version AS "version" FROM rotated, version`;

/** What ROTATE_IF_UNCHANGED_SQL checks before it writes: the state the refresh was decided on. */
export interface ReadRotationState {
  readonly userVersion: number;
  /** The presented token's hash, which the session held as its current token. */
  readonly tokenHash: Buffer;
  readonly expiresAt: Date;
  readonly deviceKeyThumbprint: string | null;
}

/** ROTATE_IF_UNCHANGED_SQL's positional parameters. */
export const rotateIfUnchangedParameters = (w: RotationWrite, read: ReadRotationState): unknown[] => [
  ...rotateParameters(w).slice(0, 11),
  JSON.stringify(w.event),
  read.userVersion,
  read.tokenHash,
  read.expiresAt,
  read.deviceKeyThumbprint,
];

/**
 * Appends activity entry $1 of type $4 for user $2's session $3 at $5 ($6 address, $7 user agent)
 * with details $8: a refresh answered again with the successor it already had. Sent by the
 * transaction that holds the session's lock and decided the replay, so that no token goes out
 * unrecorded and none is recorded that did not.
 */
export const RECORD_REPLAY_SQL = `INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;

/**
 * Deletes up to $2 encrypted successors that nothing can replay any more: committed (an access
 * token minted with them was used) and rotated at or before $1 (replayGraceCutoff). Ended
 * sessions have none left. SKIP LOCKED leaves a session someone holds right now to the next pass
 * instead of waiting for it, and no user is locked, so this cannot join a deadlock with the
 * user-then-session order of every other change.
 */
export const FORGET_SPENT_SUCCESSORS_SQL = `UPDATE sessions SET refresh_successor_ciphertext = NULL
   WHERE id IN (
     SELECT id FROM sessions
      WHERE refresh_successor_ciphertext IS NOT NULL AND refresh_rotated_at <= $1
        AND refresh_committed_generation >= refresh_generation
      LIMIT $2
        FOR NO KEY UPDATE SKIP LOCKED)`;
