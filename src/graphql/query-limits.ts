import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { ApolloServerPlugin } from '@apollo/server';
import type { ParseOptions, ValidationRule } from 'graphql';
import { maxDepthRule } from './max-depth.rule.js';
import { maxFragmentSpreadsRule } from './max-fragment-spreads.rule.js';

/** DESIGN.md, protocol details: what one GraphQL document may ask for. */
export const QUERY_LIMITS = {
  maxDepth: 10,
  /** Directly nested `ofType`, not counted by maxDepth; getIntrospectionQuery() nests 9 (its default typeDepth). */
  maxOfTypeNesting: 9,
  maxAliases: 15,
  maxTokens: 2_000,
  maxDirectives: 20,
  /** Spreads as written, not as expanded; getIntrospectionQuery() has 8. */
  maxFragmentSpreads: 50,
} as const;

export const MAX_BODY_SIZE = '100kb';

export interface QueryLimitProtections {
  readonly plugins: ApolloServerPlugin[];
  readonly validationRules: ValidationRule[];
  /** graphql's own parser stops at the token limit, so a huge document is a 400 parse error, never a 500. */
  readonly parseOptions: ParseOptions;
}

/**
 * The same protections serve HTTP (Apollo) and, through graphql-ws's validate, subscriptions.
 * Every rule here, like graphql's own specifiedRules that run beside them, must cost time linear
 * in the document: graphql-armor's alias and directive counts remember each fragment's count,
 * and graphql's OverlappingFieldsCanBeMergedRule stops at its own complexity budget.
 * query-limits.spec.ts holds them to that.
 */
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
    validationRules: [
      maxFragmentSpreadsRule(QUERY_LIMITS.maxFragmentSpreads),
      ...validationRules,
      maxDepthRule({ maxDepth: QUERY_LIMITS.maxDepth, maxOfTypeNesting: QUERY_LIMITS.maxOfTypeNesting }),
    ],
    parseOptions: { maxTokens: QUERY_LIMITS.maxTokens },
  };
}
