import { describe, expect, it } from '@jest/globals';
import { SessionEndReason, SessionStatus } from './session.js';
import { activityWriteInterval, endedCode, expiryAt, idleExpiresAt, statusForEndReason, sweepCutoffs } from './session-expiry.policy.js';

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const loginAt = new Date('2026-11-28T08:00:00Z');
const at = (ms: number) => new Date(loginAt.getTime() + ms);
const session = { lastActivityAt: loginAt, expiresAt: at(7 * DAY) };

describe('expiryAt', () => {
  it('keeps a session that was active less than the idle timeout ago', () => {
    expect(expiryAt(session, at(29 * MINUTE + 59_999), 30 * MINUTE)).toBeUndefined();
  });

  it('ends a session exactly at the idle timeout', () => {
    expect(expiryAt(session, at(30 * MINUTE), 30 * MINUTE)).toBe(SessionEndReason.IDLE_TIMEOUT);
  });

  it('counts idleness from the last recorded activity, not from login', () => {
    const active = { ...session, lastActivityAt: at(3 * DAY) };
    expect(expiryAt(active, at(3 * DAY + 29 * MINUTE), 30 * MINUTE)).toBeUndefined();
    expect(expiryAt(active, at(3 * DAY + 31 * MINUTE), 30 * MINUTE)).toBe(SessionEndReason.IDLE_TIMEOUT);
  });

  it('ends a session at its absolute lifetime however active it is', () => {
    const busy = { ...session, lastActivityAt: at(7 * DAY - 1) };
    expect(expiryAt(busy, at(7 * DAY), 30 * MINUTE)).toBe(SessionEndReason.ABSOLUTE_TIMEOUT);
  });
});

describe('session end codes', () => {
  it('maps timeouts to EXPIRED and everything else to REVOKED', () => {
    expect(statusForEndReason(SessionEndReason.IDLE_TIMEOUT)).toBe(SessionStatus.EXPIRED);
    expect(statusForEndReason(SessionEndReason.ABSOLUTE_TIMEOUT)).toBe(SessionStatus.EXPIRED);
    for (const reason of [SessionEndReason.LOGOUT, SessionEndReason.REVOKED_BY_ADMIN, SessionEndReason.REFRESH_TOKEN_REUSED]) {
      expect(statusForEndReason(reason)).toBe(SessionStatus.REVOKED);
    }
    expect(endedCode(SessionStatus.EXPIRED)).toBe('SESSION_EXPIRED');
    expect(endedCode(SessionStatus.REVOKED)).toBe('SESSION_REVOKED');
  });

  it('reports when an idle session will end', () => {
    expect(idleExpiresAt(loginAt, 30 * MINUTE)).toEqual(at(30 * MINUTE));
  });

  it('writes activity at most once a minute, and more often for short idle timeouts', () => {
    expect(activityWriteInterval(30 * MINUTE)).toBe(MINUTE);
    expect(activityWriteInterval(MINUTE)).toBe(6_000);
  });
});

describe('sweepCutoffs', () => {
  it('selects exactly the sessions expiryAt would end, with a moved clock', () => {
    const now = at(3 * DAY);
    const cutoffs = sweepCutoffs(now, 30 * MINUTE);
    const selected = (s: { lastActivityAt: Date; expiresAt: Date }) =>
      s.expiresAt.getTime() <= cutoffs.now.getTime() || s.lastActivityAt.getTime() <= cutoffs.idleCutoff.getTime();
    const candidates = [
      { lastActivityAt: at(3 * DAY - 29 * MINUTE), expiresAt: at(7 * DAY) },
      { lastActivityAt: at(3 * DAY - 30 * MINUTE), expiresAt: at(7 * DAY) },
      { lastActivityAt: at(3 * DAY - MINUTE), expiresAt: at(3 * DAY) },
      { lastActivityAt: at(3 * DAY), expiresAt: at(3 * DAY + 1) },
    ];
    for (const session of candidates) {
      expect(selected(session)).toBe(expiryAt(session, now, 30 * MINUTE) !== undefined);
    }
    expect(candidates.map(selected)).toEqual([false, true, true, false]);
  });

  it('keeps refresh-token rows of ended sessions for a day', () => {
    expect(sweepCutoffs(at(2 * DAY), 30 * MINUTE).pruneEndedBefore).toEqual(at(DAY));
  });
});
