import { GraphQLError, visit, type FragmentSpreadNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Refuses a document with more than `maxSpreads` fragment spreads, as written. A few dozen
 * spreads let fragments that spread each other fan out to millions of selections, and nothing
 * a real client sends needs that many: graphql-js's getIntrospectionQuery() has 8.
 *
 * This bounds what the document may ask for; it does not stop the other rules from walking it,
 * since graphql runs every rule in the same pass. Each of those must be linear by itself.
 */
export function maxFragmentSpreadsRule(maxSpreads: number): ValidationRule {
  return (context: ValidationContext) => ({
    Document(document) {
      // Counted when the pass starts, so the refusal comes first and survives the pass being cut
      // short (graphql stops at 100 errors, OverlappingFieldsCanBeMergedRule at its budget).
      const spreads: FragmentSpreadNode[] = [];
      visit(document, { FragmentSpread: (spread) => void spreads.push(spread) });
      if (spreads.length > maxSpreads) {
        context.reportError(
          new GraphQLError(`The document has ${spreads.length} fragment spreads; at most ${maxSpreads} are allowed.`, {
            nodes: [spreads[maxSpreads]],
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        );
      }
      return false;
    },
  });
}
