import type { Device } from '../../device/domain/device.js';
import { toDeviceObject } from '../../device/presentation/device.type.js';
import { toUserType } from '../../user/presentation/user.type.js';
import type { Session } from '../domain/session.js';
import type { SessionGrant } from '../domain/session-grant.js';
import { idleExpiresAt } from '../domain/session-expiry.policy.js';
import type { SessionPayloadType, SessionType, SessionWithDevice } from './session.type.js';

export function toSessionType(session: Session, currentSessionId: string | undefined, idleTimeoutMs: number): SessionType {
  return {
    id: session.id,
    userId: session.userId,
    deviceId: session.deviceId,
    current: session.id === currentSessionId,
    status: session.status,
    endReason: session.endReason,
    createdAt: session.createdAt,
    authenticatedAt: session.authenticatedAt,
    deviceBound: session.deviceKeyThumbprint !== null,
    lastActivityAt: session.lastActivityAt,
    idleExpiresAt: idleExpiresAt(session.lastActivityAt, idleTimeoutMs),
    expiresAt: session.expiresAt,
    endedAt: session.endedAt,
    ipAddress: session.ipAddress,
    userAgent: session.userAgent,
  };
}

/** The tokens in a grant belong to its session, which is therefore the caller's current one. */
export function toSessionPayload(grant: SessionGrant, idleTimeoutMs: number): SessionPayloadType {
  return {
    tokens: {
      // RFC 9449 §5: a bound session's access tokens are DPoP tokens.
      tokenType: grant.session.deviceKeyThumbprint ? 'DPoP' : 'Bearer',
      accessToken: grant.accessToken,
      accessTokenExpiresAt: grant.accessTokenExpiresAt,
      refreshToken: grant.refreshToken,
      refreshTokenExpiresAt: grant.refreshTokenExpiresAt,
    },
    session: { ...toSessionType(grant.session, grant.session.id, idleTimeoutMs), preloadedDevice: toDeviceObject(grant.device) },
    user: toUserType(grant.user),
  };
}

export function withDevice(session: SessionType, device: Device | undefined): SessionWithDevice {
  const { deviceId: _deviceId, preloadedDevice: _preloaded, ...rest } = session;
  return { ...rest, device: device ? toDeviceObject(device) : null };
}
