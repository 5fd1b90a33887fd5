/** The error codes of contract.graphql; clients branch on these, so they never change meaning. */
export type ErrorCode =
  | 'UNAUTHENTICATED'
  | 'TOKEN_EXPIRED'
  | 'SESSION_REVOKED'
  | 'SESSION_EXPIRED'
  | 'INVALID_REFRESH_TOKEN'
  | 'REFRESH_TOKEN_REUSED'
  | 'INVALID_CREDENTIALS'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'BAD_USER_INPUT'
  | 'RATE_LIMITED'
  | 'CSRF_BLOCKED'
  | 'SERVICE_UNAVAILABLE'
  | 'ACCOUNT_DISABLED'
  | 'REAUTHENTICATION_REQUIRED'
  | 'INVALID_DPOP_PROOF';

const HTTP_STATUS: Record<ErrorCode, number> = {
  UNAUTHENTICATED: 401,
  TOKEN_EXPIRED: 401,
  SESSION_REVOKED: 401,
  SESSION_EXPIRED: 401,
  INVALID_REFRESH_TOKEN: 401,
  REFRESH_TOKEN_REUSED: 401,
  INVALID_CREDENTIALS: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BAD_USER_INPUT: 400,
  RATE_LIMITED: 429,
  CSRF_BLOCKED: 400,
  SERVICE_UNAVAILABLE: 503,
  ACCOUNT_DISABLED: 403,
  // RFC 9470's step-up: authenticated, but not recently enough for this operation.
  REAUTHENTICATION_REQUIRED: 401,
  // RFC 9449 §7.1: the proof of possession failed, so the token is not usable here.
  INVALID_DPOP_PROOF: 401,
};

/**
 * A failure the client caused or must know about. Its message is shown to the client
 * as it is, so it never carries a token, a password or an internal detail.
 */
export class DomainError extends Error {
  override readonly name = 'DomainError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly extensions: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.code];
  }
}

export const unauthenticated = (message = 'A valid access token is required.') => new DomainError('UNAUTHENTICATED', message);
export const forbidden = (message = 'You are not allowed to do this.') => new DomainError('FORBIDDEN', message);
export const notFound = (what: string) => new DomainError('NOT_FOUND', `No such ${what}.`);
export const accountDisabled = () =>
  new DomainError('ACCOUNT_DISABLED', 'An administrator has disabled this account; it cannot be used until it is enabled again.');
export const serviceUnavailable = () =>
  new DomainError('SERVICE_UNAVAILABLE', 'The service cannot reach its database right now; try again shortly.', {
    retryAfterSeconds: 5,
  });
