import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { toClientError } from './client-error.js';

/** Every GraphQL error leaves with a contract code in extensions.code and nothing internal. */
export function formatGraphQLError(formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError {
  const original = unwrapResolverError(error);
  const clientError = toClientError(original);
  return {
    message: clientError.message,
    locations: formatted.locations,
    path: formatted.path,
    extensions: { ...clientError.extensions, code: clientError.code },
  };
}
