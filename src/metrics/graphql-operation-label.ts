import { Kind, type DocumentNode, type FragmentDefinitionNode, type OperationDefinitionNode, type SelectionSetNode } from 'graphql';

/** A request that never reached a valid operation: unparseable, invalid against the schema, or naming none of its operations. */
export const INVALID_OPERATION = 'invalid';
/** An operation that asks for several root fields at once. */
export const SEVERAL_ROOT_FIELDS = 'multiple';
/** Only the schema's own meta fields (__schema, __type, __typename). */
export const INTROSPECTION = 'introspection';

/**
 * The `operation` label of a validated GraphQL operation: its root field (`createSession`,
 * `me`), as the schema names it. Not the operationName a client chose, nor an alias: those are
 * the client's strings, and a client could mint a new series per request. The schema bounds the
 * root fields, so the label has at most a few dozen values.
 */
export function graphqlOperationLabel(operation: OperationDefinitionNode, document: DocumentNode): string {
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const fields = new Set<string>();
  collectRootFields(operation.selectionSet, fragments, fields, new Set());
  const ownFields = [...fields].filter((name) => !name.startsWith('__'));
  if (ownFields.length === 1) return ownFields[0];
  if (ownFields.length > 1) return SEVERAL_ROOT_FIELDS;
  return fields.size > 0 ? INTROSPECTION : INVALID_OPERATION;
}

/** Root fields may sit in inline fragments and fragment spreads (`{ ...Me }`); validation has ruled out cycles, `seen` guards anyway. */
function collectRootFields(
  selectionSet: SelectionSetNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  fields: Set<string>,
  seen: Set<string>,
): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      fields.add(selection.name.value);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      collectRootFields(selection.selectionSet, fragments, fields, seen);
    } else {
      const name = selection.name.value;
      const fragment = fragments.get(name);
      if (!fragment || seen.has(name)) continue;
      seen.add(name);
      collectRootFields(fragment.selectionSet, fragments, fields, seen);
    }
  }
}
