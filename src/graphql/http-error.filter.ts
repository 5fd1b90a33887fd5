import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Request, Response } from 'express';
import { DPOP_ALGORITHMS } from '../kernel/dpop-algorithms.js';
import { toClientError } from './client-error.js';

/**
 * REST answers `{ "error": { "code", "message" } }` with the fitting status. In a GraphQL
 * operation the error is handed back to Apollo, whose formatter does the same translation.
 */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost) {
    // Rethrown, not returned: Nest would hand a returned value to GraphQL as the field's result,
    // and an error from another realm (a socket error under Jest's VM) would then pass for data.
    if (host.getType() !== 'http') throw exception;
    const response = host.switchToHttp().getResponse<Response>();
    const error = toClientError(exception);
    const retryAfter = error.extensions.retryAfterSeconds;
    if (typeof retryAfter === 'number') response.setHeader('Retry-After', String(retryAfter));
    if (error.status === 401) {
      const presented = host.switchToHttp().getRequest<Request>().headers.authorization !== undefined;
      response.setHeader('WWW-Authenticate', bearerChallenge(error.code, presented, error.extensions));
    }
    response.status(error.status).json({ error: { ...error.extensions, code: error.code, message: error.message } });
  }
}

/** The access token was presented and refused: RFC 6750 §3.1's `invalid_token`. */
const INVALID_TOKEN_CODES = new Set<string>(['UNAUTHENTICATED', 'TOKEN_EXPIRED', 'SESSION_REVOKED', 'SESSION_EXPIRED']);

/**
 * RFC 6750 §3: a 401 names the scheme it wants, with `invalid_token` only when a token was sent
 * and refused (§3.1: no error code for a request that carried none). Refused credentials of
 * another kind (a password, a refresh token) get the bare challenge: the answer's code says what
 * went wrong. A valid token whose session last proved its user too long ago for the operation
 * gets RFC 9470's step-up challenge, with the age it needs.
 */
function bearerChallenge(code: string, tokenPresented: boolean, extensions: Readonly<Record<string, unknown>>): string {
  if (code === 'INVALID_DPOP_PROOF') {
    // RFC 9449 §7.1 and §9: the DPoP scheme, with the algorithms a proof may use, and use_dpop_nonce when a fresh nonce is the fix.
    const error = typeof extensions.nonce === 'string' ? 'use_dpop_nonce' : 'invalid_dpop_proof';
    return `DPoP realm="tessera", error="${error}", algs="${DPOP_ALGORITHMS.join(' ')}"`;
  }
  if (code === 'REAUTHENTICATION_REQUIRED') {
    return `Bearer realm="tessera", error="insufficient_user_authentication", max_age=${Number(extensions.maxAgeSeconds)}`;
  }
  return tokenPresented && INVALID_TOKEN_CODES.has(code) ? 'Bearer realm="tessera", error="invalid_token"' : 'Bearer realm="tessera"';
}
