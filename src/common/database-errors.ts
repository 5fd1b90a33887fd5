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

/** True when an error says the database cannot be reached: the request must fail closed, as 503. */
export function isDatabaseUnavailable(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      if (typeof code === 'string' && (UNAVAILABLE_SQLSTATE.test(code) || UNAVAILABLE_MESSAGES.includes(code))) return true;
      if (UNAVAILABLE_MESSAGES.some((text) => current instanceof Error && current.message.includes(text))) return true;
      current = current instanceof QueryFailedError ? current.driverError : (current as { cause?: unknown }).cause;
    } else {
      return false;
    }
  }
  return false;
}
