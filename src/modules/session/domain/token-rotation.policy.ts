import { SessionEndReason, SessionStatus } from './session.js';
import { expiryAt } from './session-expiry.policy.js';

/** The session row's refresh state, read under its row lock. */
export interface RotationState {
  readonly status: SessionStatus;
  readonly lastActivityAt: Date;
  readonly expiresAt: Date;
  /** Generation of the current refresh token. */
  readonly generation: number;
  /** Highest generation the client has proven it holds. */
  readonly committedGeneration: number;
  /** When the current token's parent was rotated; null while generation 0 is current. */
  readonly rotatedAt: Date | null;
}

export interface RotationRules {
  readonly idleTimeoutMs: number;
  readonly reuseGraceMs: number;
}

export type RefreshDecision =
  /** Not a token of any session we know: never issued, or its session is gone. */
  | { readonly kind: 'invalid' }
  /** The current token: issue its successor. */
  | { readonly kind: 'rotate' }
  /** The current token's parent, legitimately retried: answer with the same successor. */
  | { readonly kind: 'replay' }
  /** A token already superseded for good came back: someone else holds a copy. */
  | { readonly kind: 'reuse' }
  /** The session ran out at this moment and must be ended now. */
  | { readonly kind: 'expire'; readonly reason: SessionEndReason.IDLE_TIMEOUT | SessionEndReason.ABSOLUTE_TIMEOUT }
  /** The session had already ended. */
  | { readonly kind: 'ended'; readonly status: SessionStatus };

/**
 * What to do with a presented refresh token of `presentedGeneration` (DESIGN.md decision 4,
 * after RFC 9700 §4.14.2 and FAPI 2.0's retry rule). Pure: the caller holds the session's row
 * lock, so concurrent refreshes with one token are decided one after another.
 */
export function decideRefresh(
  state: RotationState | undefined,
  presentedGeneration: number,
  now: Date,
  rules: RotationRules,
): RefreshDecision {
  if (!state || presentedGeneration > state.generation) return { kind: 'invalid' };
  if (state.status !== SessionStatus.ACTIVE) return { kind: 'ended', status: state.status };
  const expiry = expiryAt(state, now, rules.idleTimeoutMs);
  if (expiry) return { kind: 'expire', reason: expiry };

  if (presentedGeneration === state.generation) return { kind: 'rotate' };

  if (presentedGeneration === state.generation - 1) {
    // Nobody has used the successor yet: its response was lost, and the app still holds the
    // parent. A thief replaying the parent gets the same successor, so the next rotation by
    // either side exposes the other.
    const successorUncommitted = state.committedGeneration < state.generation;
    // Two threads or tabs of one app racing with the same token.
    const withinGrace = state.rotatedAt !== null && state.rotatedAt.getTime() > replayGraceCutoff(now, rules).getTime();
    if (successorUncommitted || withinGrace) return { kind: 'replay' };
  }

  return { kind: 'reuse' };
}

/**
 * A successor rotated at or before this moment and committed can no longer be replayed: its
 * parent is reuse from then on. SessionSweeper deletes such successors' ciphertexts by this same
 * cutoff, so that nothing the policy could still hand out goes missing (instances' clocks agreeing).
 */
export function replayGraceCutoff(now: Date, rules: Pick<RotationRules, 'reuseGraceMs'>): Date {
  return new Date(now.getTime() - rules.reuseGraceMs);
}
