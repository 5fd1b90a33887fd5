import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { JwtService } from '@nestjs/jwt';
import pg from 'pg';
import { hashToken, REFRESH_TOKEN_PREFIX } from '../src/common/opaque-token.js';
import { ADDRESS_USE_TYPES, addressKnownSince } from '../src/modules/activity/domain/session-activity.js';
import { toDevice, type PrefixedDeviceRow } from '../src/modules/device/data/device.repository.js';
import { refreshedMessage } from '../src/modules/realtime/domain/session-event.js';
import {
  READ_FOR_REFRESH_SQL,
  ROTATE_IF_UNCHANGED_SQL,
  rotateIfUnchangedParameters,
} from '../src/modules/session/data/session-rotation.sql.js';
import { toSession, type SessionRow } from '../src/modules/session/data/session.repository.js';

/** The columns of the refresh's read the ceiling uses. */
interface ReadRow extends SessionRow, PrefixedDeviceRow<'device.'> {
  readonly refreshGeneration: number;
  readonly refreshTokenHash: Buffer;
  readonly userVersion: number;
}

/** RS256 signatures per second with what the service signs with: @nestjs/jwt's JwtService and a KeyObject. */
export async function signatureCeiling(durationMs: number): Promise<number> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  // @nestjs/jwt's types name string and Buffer keys; jsonwebtoken takes the KeyObject the service uses.
  const key = privateKey as unknown as string;
  const signer = new JwtService();
  const started = performance.now();
  let count = 0;
  while (performance.now() - started < durationMs) {
    const issuedAt = Math.floor(Date.now() / 1000);
    const claims = {
      iss: 'http://localhost:3000',
      aud: 'tessera',
      sub: randomUUID(),
      jti: randomUUID(),
      iat: issuedAt,
      exp: issuedAt + 900,
    };
    await signer.signAsync(
      { ...claims, sid: randomUUID(), roles: ['USER'], gen: 1 },
      { privateKey: key, algorithm: 'RS256', header: { alg: 'RS256', typ: 'at+jwt', kid: 'bench' } },
    );
    count += 1;
  }
  return (count / (performance.now() - started)) * 1000;
}

/**
 * Refresh rotations per second done with raw `pg` and the service's own statements (the same
 * constants its repository sends) for a rotation that raises nothing: the read, then the write on
 * condition that nothing changed (with the activity entry and the outbox row), on real sessions
 * opened through the service, `refreshTokens.length` at a time, each read by the session its
 * token names, as the service finds it. What the service adds on top (HTTP, JSON, signing, the MAC,
 * alert rules) is what it costs. The successors written are random hashes: the ceiling never
 * presents them, so it has no use for the service's MAC key.
 */
export async function rotationCeiling(databaseUrl: string, refreshTokens: string[], durationMs: number): Promise<number> {
  const sessionIds = refreshTokens.map(sessionIdNamedBy);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: refreshTokens.length });
  const started = performance.now();
  let count = 0;
  await Promise.all(
    refreshTokens.map(async (_, chain) => {
      while (performance.now() - started < durationMs) {
        const client = await pool.connect();
        try {
          const now = new Date();
          // Named, as the service sends them: PostgreSQL parses and plans each once per connection.
          const { rows } = await client.query<ReadRow>({ name: 'tessera_rotation_read', text: READ_FOR_REFRESH_SQL }, [
            sessionIds[chain],
            '127.0.0.1',
            addressKnownSince(now),
            now,
            ADDRESS_USE_TYPES,
          ]);
          const read = rows[0];
          if (!read) throw new Error('the ceiling lost track of a session');
          const session = toSession(read);
          const write = await client.query(
            { name: 'tessera_rotation_write_if_unchanged', text: ROTATE_IF_UNCHANGED_SQL },
            rotateIfUnchangedParameters(
              {
                sessionId: session.id,
                userId: session.userId,
                deviceId: session.deviceId,
                newTokenHash: hashToken(randomBytes(32).toString('base64url')),
                newGeneration: read.refreshGeneration + 1,
                now,
                ipAddress: '127.0.0.1',
                userAgent: 'tessera-bench',
                successorCiphertext: randomBytes(96),
                activityId: randomUUID(),
                addressKnownSince: addressKnownSince(now),
                event: refreshedMessage(session, toDevice(read, 'device.'), now),
              },
              {
                userVersion: read.userVersion,
                tokenHash: read.refreshTokenHash,
                expiresAt: session.expiresAt,
                deviceKeyThumbprint: session.deviceKeyThumbprint,
              },
            ),
          );
          if (write.rowCount !== 1) throw new Error('the ceiling’s rotation found its session changed');
          count += 1;
        } finally {
          client.release();
        }
      }
    }),
  );
  const perSecond = (count / (performance.now() - started)) * 1000;
  await pool.end();
  return perSecond;
}

/** `tsr_<session id>.<generation>.…`: the session a token issued by the service names (its MAC unchecked: the bench only reads its own logins' tokens). */
function sessionIdNamedBy(refreshToken: string): string {
  const sessionId = refreshToken.slice(REFRESH_TOKEN_PREFIX.length).split('.')[0];
  if (!/^[0-9a-f-]{36}$/.test(sessionId)) throw new Error('the rotation ceiling needs refresh tokens of the current format');
  return sessionId;
}
