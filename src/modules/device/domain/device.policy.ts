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

/** How long a name its owner gives a device may be, in characters as people count them. */
const DEVICE_NAME_MAX_LENGTH = 64;

/**
 * A device name as its owner typed it, trimmed; or why it is refused: empty, too long, or holding
 * control or format characters (which would let a name hide or reorder what the list shows).
 */
export function deviceNameOf(input: string): { readonly name: string } | { readonly problem: string } {
  const name = input.trim().normalize('NFC');
  if (name.length === 0) return { problem: 'A device name cannot be empty.' };
  if ([...name].length > DEVICE_NAME_MAX_LENGTH) return { problem: `A device name can have at most ${DEVICE_NAME_MAX_LENGTH} characters.` };
  if (/[\p{Cc}\p{Cf}]/u.test(name)) return { problem: 'A device name cannot hold control or invisible formatting characters.' };
  return { name };
}
