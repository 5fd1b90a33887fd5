import { DomainError } from '../../../common/domain-error.js';
import { SessionStatus } from './session.js';
import { endedCode } from './session-expiry.policy.js';

export const invalidRefreshToken = () => new DomainError('INVALID_REFRESH_TOKEN', 'The refresh token is not valid; sign in again.');

export const refreshTokenReused = () =>
  new DomainError(
    'REFRESH_TOKEN_REUSED',
    'This refresh token had already been used, so the session was ended to protect the account; sign in again.',
  );

export function sessionEnded(status: SessionStatus): DomainError {
  return endedCode(status) === 'SESSION_EXPIRED'
    ? new DomainError('SESSION_EXPIRED', 'The session has expired; sign in again.')
    : new DomainError('SESSION_REVOKED', 'The session has been ended; sign in again.');
}

/** RFC 9449: the session is bound to a device key, and the refresh came without a proof by it. */
export const deviceKeyRequired = () =>
  new DomainError('INVALID_DPOP_PROOF', 'This session is bound to its device’s key: refresh it with a DPoP proof made by that key.');
