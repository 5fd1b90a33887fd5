import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

/**
 * Refuses operations nested deeper than `maxDepth` fields, introspection included, so that a
 * cycle such as `__type { fields { type { fields … } } }` is bounded like any query. One
 * exception: `ofType` does not count, because its chain ends after the few list and non-null
 * wrappers a type really has, and every GraphQL client's standard introspection query walks it.
 */
export function maxDepthRule(maxDepth: number): ValidationRule {
  return (context: ValidationContext) => ({
    OperationDefinition(operation) {
      const depth = depthOf(context, operation.selectionSet, new Set());
      if (depth > maxDepth) {
        context.reportError(
          new GraphQLError(`The query is nested ${depth} levels deep; at most ${maxDepth} are allowed.`, {
            nodes: [operation],
            extensions: { code: 'BAD_USER_INPUT' },
          }),
        );
      }
    },
  });
}

function depthOf(context: ValidationContext, selectionSet: SelectionSetNode, fragmentsOnPath: Set<string>): number {
  let deepest = 0;
  for (const selection of selectionSet.selections) {
    let depth = 0;
    if (selection.kind === Kind.FIELD) {
      const own = selection.name.value === 'ofType' ? 0 : 1;
      depth = own + (selection.selectionSet ? depthOf(context, selection.selectionSet, fragmentsOnPath) : 0);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      depth = depthOf(context, selection.selectionSet, fragmentsOnPath);
    } else {
      const name = selection.name.value;
      const fragment = context.getFragment(name);
      // A fragment cycle is reported by graphql's own NoFragmentCyclesRule.
      if (fragment && !fragmentsOnPath.has(name)) {
        depth = depthOf(context, fragment.selectionSet, new Set(fragmentsOnPath).add(name));
      }
    }
    deepest = Math.max(deepest, depth);
  }
  return deepest;
}
