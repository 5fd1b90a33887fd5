import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ParseOptions, ValidationRule } from 'graphql';
import { maxDepthRule } from './max-depth.rule.js';

/** DESIGN.md, protocol details: what one GraphQL document may ask for. */
export const QUERY_LIMITS = {
  maxDepth: 10,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 20,
} as const;

export const MAX_BODY_SIZE = '100kb';

export interface QueryLimitProtections {
  readonly plugins: ApolloServerPlugin[];
  readonly validationRules: ValidationRule[];
  /** graphql's own parser stops at the token limit, so a huge document is a 400 parse error, never a 500. */
  readonly parseOptions: ParseOptions;
}

/** The same protections serve HTTP (Apollo) and, through graphql-ws's validate, subscriptions. */
export function queryLimitProtections(): QueryLimitProtections {
  const armor = new ApolloArmor({
    maxDepth: { enabled: false },
    maxTokens: { enabled: false },
    costLimit: { enabled: false },
    maxAliases: { n: QUERY_LIMITS.maxAliases, allowList: [] },
    maxDirectives: { n: QUERY_LIMITS.maxDirectives },
    blockFieldSuggestion: { enabled: true },
  });
  const { plugins, validationRules } = armor.protect();
  return {
    // graphql-armor is typed against the CommonJS build of @apollo/server; the objects are the same.
    plugins: plugins as unknown as ApolloServerPlugin[],
    validationRules: [...validationRules, maxDepthRule(QUERY_LIMITS.maxDepth)],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
  };
}
