/** Codes the SDK adds to the contract's: the service could not be reached or answered garbage. */
export const NETWORK_ERROR = 'NETWORK_ERROR';

/** Refresh answers after which the stored session is worthless: the SDK clears it and signs out. */
export const SIGN_OUT_CODES: ReadonlySet<string> = new Set([
  'REFRESH_TOKEN_REUSED',
  'INVALID_REFRESH_TOKEN',
  'SESSION_REVOKED',
  'SESSION_EXPIRED',
]);

/** Answers worth retrying with the same refresh token: the service's replay rule makes that safe. */
export const TRANSIENT_CODES: ReadonlySet<string> = new Set([NETWORK_ERROR, 'SERVICE_UNAVAILABLE']);

/**
 * A failure the app may branch on. `code` is the service's `extensions.code` (contract.graphql),
 * or NETWORK_ERROR when the service could not be reached. The message never carries a token.
 */
export class TesseraError extends Error {
  override readonly name = 'TesseraError';
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
