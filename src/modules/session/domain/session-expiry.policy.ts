import { SessionEndReason, SessionStatus } from './session.js';

export interface ExpiryInput {
  readonly lastActivityAt: Date;
  readonly expiresAt: Date;
}

/** Timeouts end a session with EXPIRED; every other reason is a revocation. */
export type EndedCode = 'SESSION_EXPIRED' | 'SESSION_REVOKED';

/**
 * Whether an ACTIVE session has run out at `now`: the absolute lifetime first (it cannot be
 * extended by activity), then the idle timeout counted from the last recorded activity.
 */
export function expiryAt(
  session: ExpiryInput,
  now: Date,
  idleTimeoutMs: number,
): SessionEndReason.ABSOLUTE_TIMEOUT | SessionEndReason.IDLE_TIMEOUT | undefined {
  if (now.getTime() >= session.expiresAt.getTime()) return SessionEndReason.ABSOLUTE_TIMEOUT;
  if (now.getTime() - session.lastActivityAt.getTime() >= idleTimeoutMs) return SessionEndReason.IDLE_TIMEOUT;
  return undefined;
}

export function statusForEndReason(reason: SessionEndReason): SessionStatus {
  return reason === SessionEndReason.IDLE_TIMEOUT || reason === SessionEndReason.ABSOLUTE_TIMEOUT
    ? SessionStatus.EXPIRED
    : SessionStatus.REVOKED;
}

export function endedCode(status: SessionStatus): EndedCode {
  return status === SessionStatus.EXPIRED ? 'SESSION_EXPIRED' : 'SESSION_REVOKED';
}

export function idleExpiresAt(lastActivityAt: Date, idleTimeoutMs: number): Date {
  return new Date(lastActivityAt.getTime() + idleTimeoutMs);
}

/**
 * How stale lastActivityAt may become before a request writes it again: at most once a minute
 * per session, and never so coarse that it eats a noticeable share of a short idle timeout.
 */
export function activityWriteInterval(idleTimeoutMs: number): number {
  return Math.min(60_000, Math.floor(idleTimeoutMs / 10));
}

/** How long the hashes of an ended session's refresh tokens are kept (reuse of them still reads as an ended session). */
export const ENDED_SESSION_TOKEN_RETENTION_MS = 24 * 60 * 60_000;

export interface SweepCutoffs {
  /** Sessions whose absolute end is at or before this have expired. */
  readonly now: Date;
  /** Sessions last active at or before this are idle: the same rule as expiryAt. */
  readonly idleCutoff: Date;
  /** Refresh-token rows of sessions ended before this are deleted. */
  readonly pruneEndedBefore: Date;
}

export function sweepCutoffs(now: Date, idleTimeoutMs: number): SweepCutoffs {
  return {
    now,
    idleCutoff: new Date(now.getTime() - idleTimeoutMs),
    pruneEndedBefore: new Date(now.getTime() - ENDED_SESSION_TOKEN_RETENTION_MS),
  };
}
