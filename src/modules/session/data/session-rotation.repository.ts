import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { Device } from '../../device/domain/device.js';
import { deviceColumns, toDevice } from '../../device/data/device.repository.js';
import { Role, type User } from '../../user/domain/user.js';
import type { Session } from '../domain/session.js';
import type { RotationState } from '../domain/token-rotation.policy.js';
import { SESSION_COLUMNS, toSession } from './session.repository.js';

const ROTATION_COLUMNS = `refresh_generation AS "refreshGeneration", refresh_committed_generation AS "refreshCommittedGeneration",
  refresh_rotated_at AS "refreshRotatedAt", refresh_successor_ciphertext AS "refreshSuccessorCiphertext"`;

/** A presented refresh token's session, read under the user's and the session's row locks. */
export interface LockedRotation {
  readonly presentedGeneration: number;
  readonly session: Session;
  readonly user: User;
  readonly device: Device;
  readonly rotation: RotationState;
  readonly successorCiphertext: Buffer | null;
}

export interface Rotation {
  readonly session: Session;
  readonly newGeneration: number;
  readonly newTokenHash: Buffer;
  readonly successorCiphertext: Buffer;
  readonly now: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

/**
 * The refresh rotation, the service's busiest write, in two statements: one that finds and
 * locks, one that writes. Every statement is a round trip to the database, and round trips
 * (not SQL work) are what a rotation costs, so the user lock, the token lookup, the session lock
 * and the device read share one statement, and the new token, the session, the device's
 * last-seen time and the user's event version share the other. It therefore reads and writes
 * the users' and devices' tables itself, the one place in the session module that does.
 */
@Injectable()
export class SessionRotationRepository {
  /**
   * Locks in the order every other change uses, user first, then session: the session row only
   * comes out of the join once the CTE has produced, and so locked, its user row.
   */
  async lockByToken(tx: EntityManager, tokenHash: Buffer): Promise<LockedRotation | undefined> {
    const rows = await tx.query(
      `WITH owner AS (
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
          FOR UPDATE OF sessions`,
      [tokenHash],
    );
    const row = rows[0];
    if (!row) return undefined;
    const session = toSession(row);
    return {
      presentedGeneration: row.presentedGeneration,
      session,
      user: { id: session.userId, email: row.userEmail, roles: (row.userRoles as string[]).map((role) => role as Role), createdAt: row.userCreatedAt },
      device: toDevice(row, 'device.'),
      successorCiphertext: row.refreshSuccessorCiphertext,
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

  /**
   * Issues generation n+1 and reserves the user's next event version. Presenting generation n
   * proves the client holds it, so n is committed; the unique (session, generation) key makes a
   * second successor impossible. Data-modifying CTEs run exactly once whether read or not.
   */
  async rotate(tx: EntityManager, r: Rotation): Promise<{ session: Session; version: number }> {
    const rows = await tx.query(
      `WITH new_token AS (
         INSERT INTO refresh_tokens (token_hash, session_id, generation, created_at) VALUES ($2, $1, $3, $4)),
       device AS (
         UPDATE devices SET last_seen_at = $4 WHERE id = $8 AND last_seen_at < $4),
       version AS (
         UPDATE users SET event_version = event_version + 1 WHERE id = $7 RETURNING event_version)
       UPDATE sessions SET
         refresh_generation = $3,
         refresh_committed_generation = $3 - 1,
         refresh_rotated_at = $4,
         refresh_successor_ciphertext = $5,
         last_activity_at = GREATEST(last_activity_at, $4),
         ip_address = COALESCE($6, ip_address),
         user_agent = COALESCE($9, user_agent)
       WHERE id = $1
       RETURNING ${SESSION_COLUMNS}, (SELECT event_version FROM version) AS "version"`,
      [r.session.id, r.newTokenHash, r.newGeneration, r.now, r.successorCiphertext, r.ipAddress, r.session.userId, r.session.deviceId, r.userAgent],
    );
    const row = rows[0][0];
    return { session: toSession(row), version: row.version };
  }
}
