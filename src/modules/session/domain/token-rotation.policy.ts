import { constantTimeEqual } from '../../../common/opaque-token.js';
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

/** The only refresh-token hashes a session keeps; null where that token is of the legacy format. */
export interface StoredTokenHashes {
  /** SHA-256 of the current generation's token. */
  readonly current: Buffer | null;
  /** SHA-256 of the current token's parent: the one earlier token a replay answers. */
  readonly parent: Buffer | null;
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

/**
 * The generation a current-format token whose MAC checked out counts as in its session, for
 * decideRefresh; undefined when it is no token of the session (answered as invalid).
 *
 * The current token and its parent, the two a refresh hands out a successor for, must also be
 * the very token stored by hash: nothing beyond the MAC (a leaked server secret) can rotate or
 * replay. A MAC-valid token of those generations that is not stored was minted in a transaction
 * that never committed, so nobody ever received it. Any earlier generation needs no storage:
 * only the service can have minted "session S, generation g", and it hands a token out only
 * after its generation committed, so it was issued and has been superseded, which is reuse.
 * A generation ahead of the session's was never issued; decideRefresh calls it invalid.
 */
export function recognisedGeneration(
  claimedGeneration: number,
  presentedHash: Buffer,
  currentGeneration: number,
  stored: StoredTokenHashes,
): number | undefined {
  if (claimedGeneration === currentGeneration) return sameHash(presentedHash, stored.current) ? claimedGeneration : undefined;
  if (claimedGeneration === currentGeneration - 1) return sameHash(presentedHash, stored.parent) ? claimedGeneration : undefined;
  return claimedGeneration;
}

/** Constant time: a comparison's duration says nothing about how much of a stored hash a guess got right. */
function sameHash(presented: Buffer, stored: Buffer | null): boolean {
  return stored !== null && constantTimeEqual(presented, stored);
}
