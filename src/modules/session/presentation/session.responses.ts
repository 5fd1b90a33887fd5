import { OmitType } from '@nestjs/swagger';
import { DeviceObjectType } from '../../device/presentation/device.type.js';
import { UserType } from '../../user/presentation/user.type.js';
import { SessionType, TokenPairType } from './session.type.js';

/**
 * The REST answers of /api/auth/*. GraphQL resolves a session's device through a loader; REST,
 * which has no field resolvers, inlines it.
 */
export class SessionWithDeviceResponse extends OmitType(SessionType, ['deviceId', 'preloadedDevice'] as const) {
  /** The device the session was opened on; null once the device has been removed. */
  device: DeviceObjectType | null;
}

/** A login, refresh or reauthentication: keep the new refresh token, the one sent is spent. */
export class SessionPayloadResponse {
  tokens: TokenPairType;
  session: SessionWithDeviceResponse;
  user: UserType;
}

export class RevokedSessionResponse {
  /** The session as it is now: `status` REVOKED, with `endReason` and `endedAt`. */
  session: SessionWithDeviceResponse;
}

export class RevokedSessionsResponse {
  /** How many sessions this call ended. */
  count: number;
}

export class ActiveSessionsResponse {
  /** The caller's active sessions; the caller's own has `current: true`. */
  sessions: SessionWithDeviceResponse[];
}
