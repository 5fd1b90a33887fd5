import type { ErrorCode } from '../common/domain-error.js';

/** What went wrong; clients branch on `code`, never on `message`. */
export class ErrorDetail {
  /** Stable; the same codes as GraphQL's `extensions.code`. */
  code: ErrorCode;

  /** A sentence for people; never a token, a password or an internal detail. */
  message: string;

  /** BAD_USER_INPUT, INVALID_CREDENTIALS: the body fields at fault. */
  fields?: string[];

  /** RATE_LIMITED, SERVICE_UNAVAILABLE: seconds to wait before trying again (also the Retry-After header). */
  retryAfterSeconds?: number;

  /** REAUTHENTICATION_REQUIRED: how recent (in seconds) the session's last proof of identity must be. */
  maxAgeSeconds?: number;

  /** INVALID_DPOP_PROOF: the server nonce to put in the next proof (also the DPoP-Nonce header). */
  nonce?: string;
}

/** Every REST error of the service's own routes (the /oauth/* routes answer RFC 6749's shape instead). */
export class ErrorResponse {
  error: ErrorDetail;
}
