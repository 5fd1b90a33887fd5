import { HttpException, Logger } from '@nestjs/common';
import { GraphQLError } from 'graphql';
import { DomainError, serviceUnavailable, type ErrorCode } from '../common/domain-error.js';
import { isDatabaseUnavailable } from '../common/database-errors.js';

export interface ClientError {
  readonly code: ErrorCode | 'INTERNAL_SERVER_ERROR';
  readonly message: string;
  readonly status: number;
  readonly extensions: Readonly<Record<string, unknown>>;
}

const logger = new Logger('Errors');

/** GraphQL's and Apollo's own codes for a request the client got wrong. */
const GRAPHQL_CLIENT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const CSRF_REFUSAL = /Cross-Site Request Forgery/;

const HTTP_CODES: Record<number, ErrorCode> = {
  400: 'BAD_USER_INPUT',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'NOT_FOUND',
  413: 'BAD_USER_INPUT',
  415: 'BAD_USER_INPUT',
  429: 'RATE_LIMITED',
  503: 'SERVICE_UNAVAILABLE',
};

/**
 * The one translation from anything thrown to what a client sees. Domain errors keep their code
 * and message; an unreachable database becomes SERVICE_UNAVAILABLE (fail closed); anything
 * else is our fault: logged here in full and shown as a bare internal error, never a stack.
 */
export function toClientError(error: unknown): ClientError {
  if (error instanceof DomainError) {
    return { code: error.code, message: error.message, status: error.httpStatus, extensions: error.extensions };
  }
  if (isDatabaseUnavailable(error)) {
    const unavailable = serviceUnavailable();
    logger.warn(`Database unavailable: ${error instanceof Error ? error.message : String(error)}`);
    return { code: unavailable.code, message: unavailable.message, status: 503, extensions: unavailable.extensions };
  }
  if (error instanceof HttpException) {
    const status = error.getStatus();
    const code = HTTP_CODES[status];
    if (code) return { code, message: httpMessage(error), status, extensions: {} };
  }
  if (error instanceof GraphQLError && !(error.originalError instanceof DomainError)) {
    const code = error.extensions?.code;
    // Apollo's CSRF prevention: a request a browser could have sent cross-site without a
    // preflight (a GET, or a form's content type). Its own code, so that a client can tell "send
    // JSON, or the apollo-require-preflight header" from a field that failed validation.
    if (code === 'BAD_REQUEST' && CSRF_REFUSAL.test(error.message)) {
      return { code: 'CSRF_BLOCKED', message: error.message, status: 400, extensions: {} };
    }
    if (typeof code === 'string' && GRAPHQL_CLIENT_CODES.has(code)) {
      return { code: 'BAD_USER_INPUT', message: error.message, status: 400, extensions: {} };
    }
  }
  logger.error(error instanceof Error ? (error.stack ?? error.message) : `Non-error thrown: ${String(error)}`);
  return { code: 'INTERNAL_SERVER_ERROR', message: 'Internal server error.', status: 500, extensions: {} };
}

function httpMessage(error: HttpException): string {
  const status = error.getStatus();
  if (status === 404 || status === 405) return 'No such route.';
  if (status === 413) return 'The request body is too large.';
  if (status === 415) return 'Send the request body as JSON.';
  if (status === 400) return 'The request body is not valid JSON.';
  return error.message;
}
