import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';

interface RequestScope {
  readonly requestId: string;
}

/** Carries the request id to every log line written while the request is served. */
export const requestScope = new AsyncLocalStorage<RequestScope>();

const ACCEPTABLE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives each request an id (the caller's X-Request-Id when it is a sane one), returns it in the
 * response, and writes one access line when the response is finished: method, path without the
 * query string, status and duration; never headers or bodies.
 */
export function requestLogging(logger: Logger) {
  return (request: Request, response: Response, next: NextFunction) => {
    const offered = request.headers['x-request-id'];
    const requestId = typeof offered === 'string' && ACCEPTABLE_REQUEST_ID.test(offered) ? offered : randomUUID();
    response.setHeader('X-Request-Id', requestId);
    const started = process.hrtime.bigint();
    requestScope.run({ requestId }, () => {
      response.on('finish', () => {
        logger.info(
          {
            requestId,
            method: request.method,
            // originalUrl: a router mounted on a sub-path (Apollo on /graphql) rewrites request.path.
            path: request.originalUrl.split('?')[0],
            statusCode: response.statusCode,
            durationMs: Number(process.hrtime.bigint() - started) / 1e6,
          },
          'request',
        );
      });
      next();
    });
  };
}
