import { Catch, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { Response } from 'express';
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
    response.status(error.status).json({ error: { ...error.extensions, code: error.code, message: error.message } });
  }
}
