import { applyDecorators } from '@nestjs/common';
import { ApiSecurity, getSchemaPath, type ResponseObject } from '@nestjs/swagger';
import { ErrorResponse } from './error.responses.js';

/** Names of the security schemes the document declares (openapi.ts). */
export const SECURITY = {
  bearer: 'bearer',
  dpop: 'dpop',
  dpopProof: 'dpopProof',
  introspectionClient: 'introspectionClient',
} as const;

const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } },
};

/** What each error status means on the service's own routes: the codes it carries and its headers. */
const ERRORS = {
  400: { description: 'BAD_USER_INPUT: the body is not JSON, has unknown fields, or breaks a field rule (`fields` names them).' },
  401: {
    description:
      'Not authenticated. UNAUTHENTICATED, TOKEN_EXPIRED, SESSION_REVOKED, SESSION_EXPIRED for the access token; ' +
      'INVALID_CREDENTIALS, INVALID_REFRESH_TOKEN, REFRESH_TOKEN_REUSED for the credential in the body; ' +
      'INVALID_DPOP_PROOF for a device-bound session without a valid proof; REAUTHENTICATION_REQUIRED when the session ' +
      'must prove its user again (call /api/auth/reauthenticate, then retry).',
    headers: {
      'WWW-Authenticate': {
        description:
          'RFC 6750 §3: `Bearer realm="tessera"`, with `error="invalid_token"` when an access token was sent and refused; ' +
          '`Bearer realm="tessera", error="insufficient_user_authentication", max_age=600` for REAUTHENTICATION_REQUIRED (RFC 9470); ' +
          '`DPoP realm="tessera", error="invalid_dpop_proof"` (or `"use_dpop_nonce"`) with `algs` for a DPoP problem (RFC 9449).',
        schema: { type: 'string' },
      },
      'DPoP-Nonce': { description: 'With INVALID_DPOP_PROOF: the nonce to use in the next proof.', schema: { type: 'string' } },
    },
  },
  403: { description: 'FORBIDDEN (not allowed for this caller) or ACCOUNT_DISABLED (an administrator disabled the account).' },
  404: { description: 'NOT_FOUND: no such object for this caller (another user’s object is not found either).' },
  413: { description: 'BAD_USER_INPUT: the body is larger than 100 KB.' },
  429: { description: 'RATE_LIMITED: too many attempts; `retryAfterSeconds` and Retry-After say when to try again.', headers: retryAfter },
  503: {
    description: 'SERVICE_UNAVAILABLE: the database does not answer; nothing was done. Retry after Retry-After.',
    headers: retryAfter,
  },
} as const;

export type ErrorStatus = keyof typeof ERRORS;

/** Which routes answer which error statuses: `Controller.method` → statuses, filled by @ApiErrors. */
const errorsByRoute = new Map<string, readonly ErrorStatus[]>();

/**
 * The error answers a route can give, each `{ "error": { "code", "message", … } }`. Kept aside and
 * added to the document once it is built (addErrorResponses): an @ApiResponse on the method would
 * make Swagger drop the success answer the CLI plugin's metadata gives it.
 */
export function ApiErrors(...statuses: ErrorStatus[]): MethodDecorator {
  return (target, key) => {
    errorsByRoute.set(`${target.constructor.name}.${String(key)}`, statuses);
  };
}

/** The error responses of a route (by `Controller.method`), as OpenAPI response objects. */
export function errorResponsesOf(route: string): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  for (const status of errorsByRoute.get(route) ?? []) {
    responses[String(status)] = { ...ERRORS[status], content: { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } } };
  }
  return responses;
}

/**
 * The global TokenGuard's rule: an access token as `Authorization: Bearer`, or for a
 * device-bound session as `Authorization: DPoP` together with a `DPoP` proof header.
 */
export function ApiSessionAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(ApiSecurity(SECURITY.bearer), ApiSecurity({ [SECURITY.dpop]: [], [SECURITY.dpopProof]: [] }));
}

/**
 * A public route (whose @Public() already says "no credentials") that also takes a DPoP proof:
 * with one, the session is (or must be) bound to its key.
 */
export function ApiOptionalDeviceProof(): MethodDecorator & ClassDecorator {
  return ApiSecurity(SECURITY.dpopProof);
}
