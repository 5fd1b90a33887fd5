import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { toClientError } from './client-error.js';

/**
 * graphql-armor's mask for "Did you mean …" hints, which would reveal field names that
 * introspection hides. Applied here as well as by armor's Apollo plugin so that errors over
 * graphql-ws, which Apollo's plugins never see, read exactly as over HTTP.
 */
const SUGGESTION = /Did you mean ".+"/g;
const SUGGESTION_MASK = '[Suggestion hidden]';

/** Every GraphQL error leaves with a contract code in extensions.code and nothing internal. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const clientError = toClientError(original);
  return {
    message: clientError.message.replace(SUGGESTION, SUGGESTION_MASK),
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...clientError.extensions, code: clientError.code },
  };
}
