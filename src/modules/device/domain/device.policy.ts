import type { Device } from './device.js';

export interface SessionLifetimes {
  readonly refreshTokenTtlMs: number;
  readonly trustedDeviceRefreshTokenTtlMs: number;
}

import { Role } from '../../../kernel/role.js';

/** A session opened on a device its owner trusts may last longer before a password is asked again. */
export function sessionLifetimeFor(device: Pick<Device, 'trusted'>, lifetimes: SessionLifetimes): number {
  return device.trusted ? lifetimes.trustedDeviceRefreshTokenTtlMs : lifetimes.refreshTokenTtlMs;
}

/** Only the device's owner, or an administrator, may see it and change whether it is trusted. */
export function mayManageDevice(
  actor: { readonly userId: string; readonly roles: readonly Role[] },
  device: Pick<Device, 'userId'>,
): boolean {
  return device.userId === actor.userId || actor.roles.includes(Role.ADMIN);
}
