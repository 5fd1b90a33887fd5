import { describe, expect, it } from '@jest/globals';
import type { DomainEvent } from '../../../events/domain-events.js';
import { DeviceType, type Device } from '../../device/domain/device.js';
import { SessionEndReason, SessionStatus, type Session } from '../../session/domain/session.js';
import { AlertSeverity, SessionAlertType } from './session-alert.js';
import { alertsFor, foldsInto, type AlertContext } from './session-alert.rules.js';

const at = new Date('2026-11-28T12:00:00Z');
const client = { ipAddress: '203.0.113.7', userAgent: 'Tessera/3.2 iOS' };
const session = (overrides: Partial<Session> = {}): Session => ({
  id: 'session-1',
  userId: 'user-1',
  deviceId: 'device-1',
  status: SessionStatus.ACTIVE,
  endReason: null,
  createdAt: at,
  authenticatedAt: at,
  deviceKeyThumbprint: null,
  authenticationMethod: 'pwd',
  lastActivityAt: at,
  expiresAt: new Date(at.getTime() + 7 * 86_400_000),
  endedAt: null,
  ipAddress: client.ipAddress,
  userAgent: client.userAgent,
  ...overrides,
});
const device: Device = {
  id: 'device-2',
  userId: 'user-1',
  type: DeviceType.IOS,
  name: 'New iPhone',
  model: 'iPhone16,1',
  osVersion: '19',
  appVersion: '3.2',
  trusted: false,
  trustedAt: null,
  firstSeenAt: at,
  lastSeenAt: at,
};

const cases: [string, DomainEvent, AlertContext, [SessionAlertType, AlertSeverity][]][] = [
  [
    'a second device raises NEW_DEVICE',
    { type: 'DEVICE_REGISTERED', device, client },
    { hadOtherDevices: true },
    [[SessionAlertType.NEW_DEVICE, AlertSeverity.WARNING]],
  ],
  ['the account’s first device raises nothing', { type: 'DEVICE_REGISTERED', device, client }, { hadOtherDevices: false }, []],
  [
    'reuse raises a CRITICAL REFRESH_TOKEN_REUSE',
    { type: 'REFRESH_TOKEN_REUSED', session: session(), client },
    {},
    [[SessionAlertType.REFRESH_TOKEN_REUSE, AlertSeverity.CRITICAL]],
  ],
  [
    'a login from an address unseen for 30 days raises NEW_IP_ADDRESS',
    { type: 'SESSION_CREATED', version: 1, session: session(), device, client },
    { hasEarlierActivity: true, ipSeenRecently: false },
    [[SessionAlertType.NEW_IP_ADDRESS, AlertSeverity.INFO]],
  ],
  [
    'a refresh from an unseen address raises NEW_IP_ADDRESS',
    {
      type: 'SESSION_REFRESHED',
      version: 2,
      session: session(),
      device,
      recorded: { hasEarlierActivity: true, ipSeenRecently: false },
      client,
    },
    { hasEarlierActivity: true, ipSeenRecently: false },
    [[SessionAlertType.NEW_IP_ADDRESS, AlertSeverity.INFO]],
  ],
  [
    'a login from a known address raises nothing',
    { type: 'SESSION_CREATED', version: 1, session: session(), device, client },
    { hasEarlierActivity: true, ipSeenRecently: true },
    [],
  ],
  [
    'the very first login raises no NEW_IP_ADDRESS',
    { type: 'SESSION_CREATED', version: 1, session: session(), device, client },
    { hasEarlierActivity: false, ipSeenRecently: false },
    [],
  ],
  [
    'brute force raises a CRITICAL BRUTE_FORCE',
    { type: 'BRUTE_FORCE_DETECTED', userId: 'user-1', failures: 5, client },
    {},
    [[SessionAlertType.BRUTE_FORCE, AlertSeverity.CRITICAL]],
  ],
  [
    'the session limit raises SESSION_LIMIT_REACHED',
    { type: 'SESSION_LIMIT_REACHED', userId: 'user-1', endedSessions: [session()], client },
    {},
    [[SessionAlertType.SESSION_LIMIT_REACHED, AlertSeverity.INFO]],
  ],
  [
    'an admin’s revocation raises SESSION_REVOKED_BY_ADMIN',
    {
      type: 'SESSION_ENDED',
      version: 3,
      session: session({ status: SessionStatus.REVOKED, endReason: SessionEndReason.REVOKED_BY_ADMIN, endedAt: at }),
    },
    {},
    [[SessionAlertType.SESSION_REVOKED_BY_ADMIN, AlertSeverity.WARNING]],
  ],
  [
    'the user’s own revocation raises nothing',
    {
      type: 'SESSION_ENDED',
      version: 3,
      session: session({ status: SessionStatus.REVOKED, endReason: SessionEndReason.REVOKED_BY_USER, endedAt: at }),
    },
    {},
    [],
  ],
  ['a failed login alone raises nothing', { type: 'LOGIN_FAILED', userId: 'user-1', reason: 'INVALID_CREDENTIALS', client }, {}, []],
];

describe('alertsFor', () => {
  it.each(cases)('%s', (_, event, context, expected) => {
    expect(alertsFor(event, context).map((alert) => [alert.type, alert.severity])).toEqual(expected);
  });

  it('gives repeats of one cause the same fold key, and different causes different ones', () => {
    const first = alertsFor({ type: 'REFRESH_TOKEN_REUSED', session: session(), client })[0];
    const again = alertsFor({
      type: 'REFRESH_TOKEN_REUSED',
      session: session(),
      client: { ipAddress: '198.51.100.1', userAgent: null },
    })[0];
    const other = alertsFor({ type: 'REFRESH_TOKEN_REUSED', session: session({ id: 'session-2' }), client })[0];
    expect(again.foldKey).toBe(first.foldKey);
    expect(other.foldKey).not.toBe(first.foldKey);
  });
});

describe('foldsInto', () => {
  it('folds within 10 minutes of the last occurrence, not after', () => {
    expect(foldsInto(new Date(at.getTime() - 9 * 60_000), at)).toBe(true);
    expect(foldsInto(new Date(at.getTime() - 10 * 60_000), at)).toBe(false);
  });
});
