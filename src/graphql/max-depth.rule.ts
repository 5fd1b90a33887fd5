import { GraphQLError, Kind, type SelectionSetNode, type ValidationContext, type ValidationRule } from 'graphql';

export interface DepthLimits {
  /** Nested fields per operation, counted through fragments and inline fragments. */
  readonly maxDepth: number;
  /** Directly nested `ofType` fields, which do not count toward `maxDepth`. */
  readonly maxOfTypeNesting: number;
}

/** What a selection set asks for, measured once however often it is spread. */
interface Measure {
  readonly depth: number;
  /** The `ofType { ofType { … } }` chain that starts at the top of the selection set. */
  readonly leadingOfTypeChain: number;
  readonly longestOfTypeChain: number;
}

const EMPTY: Measure = { depth: 0, leadingOfTypeChain: 0, longestOfTypeChain: 0 };

/**
 * Refuses operations nested deeper than `maxDepth` fields, introspection included, so that a
 * cycle such as `__type { fields { type { fields … } } }` is bounded like any query. `ofType`
 * is the exception: every client's standard introspection query walks a chain of them under
 * each type reference (graphql-js's getIntrospectionQuery() nests 9), so they count 0, and a
 * chain longer than `maxOfTypeNesting` is refused on its own.
 *
 * Each fragment is measured once per document and remembered: walking it again at every spread
 * made a 1.2 KB document of ten fragments, each spreading the next ten times, cost 10^9 visits.
 */
export function maxDepthRule(limits: DepthLimits): ValidationRule {
  return (context: ValidationContext) => {
    const measurer = new DepthMeasurer(context);
    return {
      OperationDefinition(operation) {
        const { depth, longestOfTypeChain } = measurer.measure(operation.selectionSet);
        if (depth > limits.maxDepth) {
          context.reportError(
            new GraphQLError(`The query is nested ${depth} levels deep; at most ${limits.maxDepth} are allowed.`, {
              nodes: [operation],
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          );
        }
        if (longestOfTypeChain > limits.maxOfTypeNesting) {
          context.reportError(
            new GraphQLError(`The query nests ofType ${longestOfTypeChain} levels deep; at most ${limits.maxOfTypeNesting} are allowed.`, {
              nodes: [operation],
              extensions: { code: 'BAD_USER_INPUT' },
            }),
          );
        }
      },
    };
  };
}

class DepthMeasurer {
  /** `undefined` while a fragment is being measured, so that a cycle ends instead of recursing forever. */
  private readonly fragments = new Map<string, Measure | undefined>();

  constructor(private readonly context: ValidationContext) {}

  measure(selectionSet: SelectionSetNode): Measure {
    let depth = 0;
    let leadingOfTypeChain = 0;
    let longestOfTypeChain = 0;
    for (const selection of selectionSet.selections) {
      let measure: Measure;
      if (selection.kind === Kind.FIELD) {
        const inner = selection.selectionSet ? this.measure(selection.selectionSet) : EMPTY;
        if (selection.name.value === 'ofType') {
          const chain = 1 + inner.leadingOfTypeChain;
          measure = { depth: inner.depth, leadingOfTypeChain: chain, longestOfTypeChain: Math.max(chain, inner.longestOfTypeChain) };
        } else {
          measure = { depth: 1 + inner.depth, leadingOfTypeChain: 0, longestOfTypeChain: inner.longestOfTypeChain };
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        measure = this.measure(selection.selectionSet);
      } else {
        measure = this.fragment(selection.name.value);
      }
      depth = Math.max(depth, measure.depth);
      leadingOfTypeChain = Math.max(leadingOfTypeChain, measure.leadingOfTypeChain);
      longestOfTypeChain = Math.max(longestOfTypeChain, measure.longestOfTypeChain);
    }
    return { depth, leadingOfTypeChain, longestOfTypeChain };
  }

  private fragment(name: string): Measure {
    if (this.fragments.has(name)) {
      // A fragment cycle measures short here; graphql's own NoFragmentCyclesRule refuses the document.
      return this.fragments.get(name) ?? EMPTY;
    }
    const fragment = this.context.getFragment(name);
    if (!fragment) return EMPTY;
    this.fragments.set(name, undefined);
    const measure = this.measure(fragment.selectionSet);
    this.fragments.set(name, measure);
    return measure;
  }
}
