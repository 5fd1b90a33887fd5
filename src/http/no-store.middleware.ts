import type { NextFunction, Request, Response } from 'express';

/**
 * Where answers carry tokens or session state: REST sessions and reauthentication, OAuth, and
 * GraphQL, whose one URL serves createSession and refreshSession alongside everything else.
 */
const TOKEN_PATHS = ['/graphql', '/api/auth/session', '/api/auth/reauthenticate', '/api/auth/password', '/oauth'];

/** Express matches routes case-insensitively and ignores a trailing slash, so this must too. */
function carriesTokens(path: string): boolean {
  const lower = path.toLowerCase();
  return TOKEN_PATHS.some((prefix) => lower === prefix || lower.startsWith(`${prefix}/`));
}

/**
 * RFC 6749 §5.1: a token response must not be stored by the browser or any cache on the way
 * (Pragma for HTTP/1.0 ones). Set before the route runs, so that errors and answers from
 * Apollo or Nest's exception filters carry it too.
 */
export function noStoreForTokenResponses(request: Request, response: Response, next: NextFunction): void {
  if (carriesTokens(request.path)) {
    response.setHeader('Cache-Control', 'no-store');
    response.setHeader('Pragma', 'no-cache');
  }
  next();
}
