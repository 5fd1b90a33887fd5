import { describe, expect, it } from '@jest/globals';
import { Role } from '../../../kernel/role.js';
import { mayManageDevice, sessionLifetimeFor } from './device.policy.js';

const DAY = 24 * 60 * 60_000;
const lifetimes = { refreshTokenTtlMs: 7 * DAY, trustedDeviceRefreshTokenTtlMs: 30 * DAY };

describe('device policy', () => {
  it('gives a session on a trusted device the trusted lifetime, and an untrusted one the shorter', () => {
    expect(sessionLifetimeFor({ trusted: true }, lifetimes)).toBe(30 * DAY);
    expect(sessionLifetimeFor({ trusted: false }, lifetimes)).toBe(7 * DAY);
  });

  it('lets only the owner or an administrator manage a device', () => {
    const device = { userId: 'owner' };
    expect(mayManageDevice({ userId: 'owner', roles: [Role.USER] }, device)).toBe(true);
    expect(mayManageDevice({ userId: 'someone-else', roles: [Role.USER] }, device)).toBe(false);
    expect(mayManageDevice({ userId: 'admin', roles: [Role.USER, Role.ADMIN] }, device)).toBe(true);
  });
});
