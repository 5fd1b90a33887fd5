import type { ClientInfo } from '../../../kernel/client-info.js';
import { Role } from '../../../kernel/role.js';
import type { Device } from '../../device/domain/device.js';
import type { User } from '../../user/domain/user.js';
import type { AccessTokenRequest } from '../../token/domain/access-token.js';
import type { TokenSigner } from '../../token/domain/token-signer.js';
import type { Session } from './session.js';

/** What a login or a refresh hands to the client. */
export interface SessionGrant {
  readonly session: Session;
  readonly device: Device;
  readonly user: User;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: Date;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: Date;
}

/** What a refresh hands out, and whether the token rotated or its parent was answered again (a lost answer, retried). */
export interface RefreshedGrant extends SessionGrant {
  readonly refreshOutcome: 'rotated' | 'replayed';
  /** Decided in the locking transaction rather than by a read and a conditional write (SessionRefreshService). */
  readonly decidedUnderLocks: boolean;
}

/** A device key a request proved possession of (DPoP): its RFC 7638 thumbprint. */
export interface DeviceKey {
  readonly thumbprint: string;
}

/** The caller of an authenticated operation. */
export interface Actor {
  readonly userId: string;
  readonly sessionId: string;
  readonly roles: readonly Role[];
  /** Where the request came from, for the activity log. */
  readonly client?: ClientInfo;
}

export const isAdmin = (actor: Actor): boolean => actor.roles.includes(Role.ADMIN);

/** What an access token of `session`'s says, for `user` (roles as they are now) at refresh generation `generation`. */
const accessTokenRequestFor = (session: Session, user: Pick<User, 'id' | 'roles'>, generation: number): AccessTokenRequest => ({
  userId: user.id,
  sessionId: session.id,
  roles: user.roles,
  generation,
  authenticatedAt: session.authenticatedAt,
  authenticationMethod: session.authenticationMethod,
  deviceKeyThumbprint: session.deviceKeyThumbprint,
});

/**
 * What a login, a refresh or a reauthentication hands out: an access token for the session at
 * refresh generation `generation`, signed now, beside the refresh token it goes with.
 */
export async function signedGrant(
  signer: TokenSigner,
  issued: { session: Session; device: Device; user: User; generation: number; refreshToken: string },
): Promise<SessionGrant> {
  const { session, device, user, generation, refreshToken } = issued;
  const access = await signer.sign(accessTokenRequestFor(session, user, generation));
  return {
    session,
    device,
    user,
    accessToken: access.token,
    accessTokenExpiresAt: access.expiresAt,
    refreshToken,
    refreshTokenExpiresAt: session.expiresAt,
  };
}
