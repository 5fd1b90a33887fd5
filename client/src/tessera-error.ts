/** Codes the SDK adds to the contract's: the service could not be reached or answered garbage. */
export const NETWORK_ERROR = 'NETWORK_ERROR';

/**
 * The service's answer to a sensitive operation (trusting or removing a device, signing out
 * everywhere, the admin calls) when the user last proved who they are too long ago: call
 * reauthenticate() with their password, then send the operation again.
 */
export const REAUTHENTICATION_REQUIRED = 'REAUTHENTICATION_REQUIRED';

/** Refresh answers after which the stored session is worthless: the SDK clears it and signs out. */
export const SIGN_OUT_CODES: ReadonlySet<string> = new Set([
  'REFRESH_TOKEN_REUSED',
  'INVALID_REFRESH_TOKEN',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
  // An administrator disabled the account: its sessions have ended and no refresh will succeed.
  'ACCOUNT_DISABLED',
]);

/** Answers worth retrying with the same refresh token: the service's replay rule makes that safe. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([NETWORK_ERROR, 'SERVICE_UNAVAILABLE']);

/**
 * A failure the app may branch on. `code` is the service's `extensions.code` (contract.graphql),
 * or NETWORK_ERROR when the service could not be reached. The message never carries a token.
 */
export class TesseraError extends Error {
  override readonly name: string = 'TesseraError';
  readonly code: string;
  /** With RATE_LIMITED and SERVICE_UNAVAILABLE: how long the service asks the app to wait. */
  readonly retryAfterSeconds?: number;
  /** With BAD_USER_INPUT: the input fields the service refused. */
  readonly fields?: readonly string[];

  constructor(code: string, message: string, details: { retryAfterSeconds?: number; fields?: readonly string[]; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.retryAfterSeconds !== undefined) this.retryAfterSeconds = details.retryAfterSeconds;
    if (details.fields !== undefined) this.fields = details.fields;
  }
}

export function isTesseraError(error: unknown, code?: string): error is TesseraError {
  return error instanceof TesseraError && (code === undefined || error.code === code);
}

/**
 * REAUTHENTICATION_REQUIRED as its own class, so that an app can tell it apart with instanceof
 * and answer it: ask for the password, call `client.reauthenticate(password)`, send the
 * operation again. Still a TesseraError, with the same `code`, for code that branches on codes.
 */
export class ReauthenticationRequiredError extends TesseraError {
  override readonly name: string = 'ReauthenticationRequiredError';
  /** How recent the proof must be (the service's REAUTHENTICATION_MAX_AGE), when the service said. */
  readonly maxAgeSeconds?: number;

  constructor(message: string, details: { maxAgeSeconds?: number; cause?: unknown } = {}) {
    super(REAUTHENTICATION_REQUIRED, message, { cause: details.cause });
    if (details.maxAgeSeconds !== undefined) this.maxAgeSeconds = details.maxAgeSeconds;
  }
}

export function isReauthenticationRequired(error: unknown): error is ReauthenticationRequiredError {
  return error instanceof ReauthenticationRequiredError;
}
