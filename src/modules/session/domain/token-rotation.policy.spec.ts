import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { SessionEndReason, SessionStatus } from './session.js';
import {
  decideRefresh,
  recognisedGeneration,
  replayGraceCutoff,
  type RefreshDecision,
  type RotationState,
} from './token-rotation.policy.js';

const MINUTE = 60_000;
const now = new Date('2026-11-28T12:00:00Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const rules = { idleTimeoutMs: 30 * MINUTE, reuseGraceMs: 10_000 };

/** A session whose current refresh token is generation 3. */
const session = (overrides: Partial<RotationState> = {}): RotationState => ({
  status: SessionStatus.ACTIVE,
  lastActivityAt: ago(MINUTE),
  expiresAt: new Date(now.getTime() + 7 * 24 * 60 * MINUTE),
  generation: 3,
  committedGeneration: 3,
  rotatedAt: ago(5 * MINUTE),
  ...overrides,
});

const cases: [string, RotationState | undefined, number, RefreshDecision][] = [
  ['rotates the current token', session(), 3, { kind: 'rotate' }],
  ['rotates the first token of a new session', session({ generation: 0, committedGeneration: 0, rotatedAt: null }), 0, { kind: 'rotate' }],
  [
    'replays the successor to the parent while the successor is uncommitted, however late (lost response)',
    session({ committedGeneration: 2, rotatedAt: ago(20 * MINUTE), lastActivityAt: ago(MINUTE) }),
    2,
    { kind: 'replay' },
  ],
  [
    'replays the successor to the parent within the grace window even once committed (racing tabs)',
    session({ committedGeneration: 3, rotatedAt: ago(9_999) }),
    2,
    { kind: 'replay' },
  ],
  ['treats the parent as reuse after commit and grace', session({ committedGeneration: 3, rotatedAt: ago(10_000) }), 2, { kind: 'reuse' }],
  [
    'treats an older generation as reuse even inside the grace window and uncommitted',
    session({ committedGeneration: 2, rotatedAt: ago(1_000) }),
    1,
    { kind: 'reuse' },
  ],
  ['treats generation 0 as reuse once the session is at generation 3', session(), 0, { kind: 'reuse' }],
  ['refuses an unknown token', undefined, 0, { kind: 'invalid' }],
  ['refuses a generation the session never issued', session(), 4, { kind: 'invalid' }],
  [
    'ends a session past its absolute lifetime',
    session({ expiresAt: ago(1) }),
    3,
    { kind: 'expire', reason: SessionEndReason.ABSOLUTE_TIMEOUT },
  ],
  [
    'ends a session idle for the whole idle timeout',
    session({ lastActivityAt: ago(30 * MINUTE) }),
    3,
    { kind: 'expire', reason: SessionEndReason.IDLE_TIMEOUT },
  ],
  [
    'checks the absolute lifetime before the idle timeout',
    session({ lastActivityAt: ago(31 * MINUTE), expiresAt: ago(1) }),
    3,
    { kind: 'expire', reason: SessionEndReason.ABSOLUTE_TIMEOUT },
  ],
  [
    'answers a revoked session as ended, even for its current token',
    session({ status: SessionStatus.REVOKED }),
    3,
    { kind: 'ended', status: SessionStatus.REVOKED },
  ],
  ['answers an expired session as ended', session({ status: SessionStatus.EXPIRED }), 2, { kind: 'ended', status: SessionStatus.EXPIRED }],
  [
    'does not call it reuse when the session has already ended',
    session({ status: SessionStatus.REVOKED }),
    0,
    { kind: 'ended', status: SessionStatus.REVOKED },
  ],
];

describe('decideRefresh', () => {
  it.each(cases)('%s', (_, state, presented, expected) => {
    expect(decideRefresh(state, presented, now, rules)).toEqual(expected);
  });

  it('calls the parent reuse from exactly the cutoff after which the sweeper deletes a committed successor', () => {
    const cutoff = replayGraceCutoff(now, rules);
    const rotatedAtCutoff = session({ committedGeneration: 3, rotatedAt: cutoff });
    const rotatedJustAfter = session({ committedGeneration: 3, rotatedAt: new Date(cutoff.getTime() + 1) });
    expect(decideRefresh(rotatedAtCutoff, 2, now, rules)).toEqual({ kind: 'reuse' });
    expect(decideRefresh(rotatedJustAfter, 2, now, rules)).toEqual({ kind: 'replay' });
  });

  it('has no grace window when REFRESH_REUSE_GRACE is 0', () => {
    const sut = decideRefresh(session({ rotatedAt: now }), 2, now, { ...rules, reuseGraceMs: 0 });
    expect(sut).toEqual({ kind: 'reuse' });
  });
});

describe('recognisedGeneration (a current-format token whose MAC checked out, in a session at generation 3)', () => {
  const hash = (token: string) => createHash('sha256').update(token).digest();
  const stored = { current: hash('current'), parent: hash('parent') };

  it.each([
    ['the current token', 3, 'current', 3],
    ['the parent', 2, 'parent', 2],
    ['a token of generation 3 that is not the stored one (minted by a rotation that never committed)', 3, 'other', undefined],
    ['a token of generation 2 that is not the stored parent', 2, 'other', undefined],
    ['the current token renumbered as the parent', 2, 'current', undefined],
    ['any earlier generation: issued and superseded, so reuse follows', 1, 'anything', 1],
    ['generation 0', 0, 'anything', 0],
    ['a generation ahead (decideRefresh calls it invalid)', 4, 'anything', 4],
  ])('%s', (_case, claimed, token, expected) => {
    expect(recognisedGeneration(claimed, hash(token), 3, stored)).toBe(expected);
  });

  it('recognises no current-format current token or parent in a session whose hashes are of legacy tokens (null)', () => {
    expect(recognisedGeneration(3, hash('current'), 3, { current: null, parent: null })).toBeUndefined();
    expect(recognisedGeneration(2, hash('parent'), 3, { current: hash('current'), parent: null })).toBeUndefined();
  });
});
