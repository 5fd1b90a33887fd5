import type { Device } from './device.js';

export interface SessionLifetimes {
  readonly refreshTokenTtlMs: number;
  readonly trustedDeviceRefreshTokenTtlMs: number;
}

/** A session opened on a device its owner trusts may last longer before a password is asked again. */
export function sessionLifetimeFor(device: Pick<Device, 'trusted'>, lifetimes: SessionLifetimes): number {
  return device.trusted ? lifetimes.trustedDeviceRefreshTokenTtlMs : lifetimes.refreshTokenTtlMs;
}
