import { QueryFailedError } from 'typeorm';

/** SQLSTATE classes that mean "the database is not there", not "your query is wrong". */
const UNAVAILABLE_SQLSTATE = /^(08|53|57P0[1-3])/;
const UNAVAILABLE_MESSAGES = [
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Query read timeout',
  'Client has encountered a connection error',
  'Connection is not established',
  'Cannot use a pool after calling end',
];

interface ErrorLike {
  readonly message?: unknown;
  readonly code?: unknown;
  readonly driverError?: unknown;
  readonly cause?: unknown;
}

/**
 * True when an error says the database cannot be reached: the request must fail closed, as 503.
 * Duck-typed rather than `instanceof`, because socket errors may come from another realm.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth++) {
    const { message, code, driverError, cause } = current as ErrorLike;
    if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_MESSAGES.includes(code))) return true;
    if (typeof message === 'string' && UNAVAILABLE_MESSAGES.some((text) => message.includes(text))) return true;
    current = current instanceof QueryFailedError ? current.driverError : (driverError ?? cause);
  }
  return false;
}
