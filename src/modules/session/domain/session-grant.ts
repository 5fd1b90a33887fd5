import type { ClientInfo } from '../../../kernel/client-info.js';
import { Role } from '../../../kernel/role.js';
import type { Device } from '../../device/domain/device.js';
import type { User } from '../../user/domain/user.js';
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
  /** For a refresh: whether the token rotated or its parent was answered again. */
  readonly refreshOutcome?: 'rotated' | 'replayed';
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
