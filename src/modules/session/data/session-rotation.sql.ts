import { addressHistoryColumns } from '../../activity/data/session-activity.repository.js';
import { deviceColumns } from '../../device/data/device.repository.js';
import { SESSION_COLUMNS } from './session.repository.js';

// The refresh rotation's two statements, apart from their repository so that the bench's
// rotation ceiling sends exactly what the service sends.

const ROTATION_COLUMNS = `refresh_generation AS "refreshGeneration", refresh_committed_generation AS "refreshCommittedGeneration",
  refresh_rotated_at AS "refreshRotatedAt", refresh_successor_ciphertext AS "refreshSuccessorCiphertext"`;

/**
 * Finds the session of the refresh token $1 and locks, in the order every other change uses,
 * user first, then session: the session row only comes out of the join once the CTE has
 * produced, and so locked, its user row.
 */
export const LOCK_BY_TOKEN_SQL = `WITH owner AS (
     SELECT u.id AS owner_id, u.email AS owner_email, u.roles AS owner_roles, u.created_at AS owner_created_at
       FROM refresh_tokens t
       JOIN sessions s ON s.id = t.session_id
       JOIN users u ON u.id = s.user_id
      WHERE t.token_hash = $1
        FOR NO KEY UPDATE OF u)
   SELECT ${SESSION_COLUMNS}, ${ROTATION_COLUMNS}, device.*,
          presented.generation AS "presentedGeneration",
          owner_email AS "userEmail", owner_roles AS "userRoles", owner_created_at AS "userCreatedAt"
     FROM owner
     JOIN (SELECT session_id, generation FROM refresh_tokens WHERE token_hash = $1) presented ON true
     JOIN sessions ON sessions.id = presented.session_id
     JOIN LATERAL (SELECT ${deviceColumns('device.')} FROM devices WHERE id = sessions.device_id) device ON true
      FOR UPDATE OF sessions`;

/**
 * Issues generation $5 (token hash $4) of session $1 at $6, records the client ($7 address,
 * $8 user agent), touches device $3, reserves user $2's next event version, and appends
 * activity entry $10 of type $11. Data-modifying CTEs run exactly once whether read or not, and
 * no part of the statement sees another's writes, so the two EXISTS report what the log held
 * before this entry: any entry of types $12, and one from address $7 since $13.
 */
export const ROTATE_SQL = `WITH new_token AS (
     INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($4, $1, $5, $6)),
   device AS (
     UPDATE devices SET last_seen_at = $6 WHERE id = $3 AND last_seen_at < $6),
   version AS (
     UPDATE users SET event_version = event_version + 1 WHERE id = $2 RETURNING event_version),
   activity AS (
     INSERT INTO session_activity (id, user_id, session_id, type, occurred_at, ip_address, user_agent, details)
     VALUES ($10, $2, $1, $11, $6, $7, $8, NULL))
   UPDATE sessions SET
     refresh_generation = $5,
     refresh_committed_generation = $5 - 1,
     refresh_rotated_at = $6,
     refresh_successor_ciphertext = $9,
     last_activity_at = GREATEST(last_activity_at, $6),
     ip_address = COALESCE($7, ip_address),
     user_agent = COALESCE($8, user_agent)
   WHERE id = $1
   RETURNING ${SESSION_COLUMNS}, (SELECT event_version FROM version) AS "version",
     ${addressHistoryColumns({ userId: '$2', ipAddress: '$7', from: '$13', until: '$6', types: '$12' })}`;
