import { describe, expect, it } from '@jest/globals';
import { Kind, parse, type OperationDefinitionNode } from 'graphql';
import { graphqlOperationLabel } from './graphql-operation-label.js';

function labelOf(source: string, operationName?: string): string {
  const document = parse(source);
  const operations = document.definitions.filter(
    (definition): definition is OperationDefinitionNode => definition.kind === Kind.OPERATION_DEFINITION,
  );
  const operation = operationName ? operations.find((candidate) => candidate.name?.value === operationName) : operations[0];
  return graphqlOperationLabel(operation!, document);
}

describe('graphqlOperationLabel', () => {
  it('names the root field, not the client’s operation name or alias', () => {
    expect(labelOf('mutation Login_f3a9 { x1: createSession(input: {}) { accessToken } }')).toBe('createSession');
    expect(labelOf('query A { me { id } } query B { devices { id } }', 'B')).toBe('devices');
  });

  it('finds root fields inside fragments', () => {
    expect(labelOf('query { ...Root } fragment Root on Query { me { id } }')).toBe('me');
    expect(labelOf('query { ... on Query { devices { id } } }')).toBe('devices');
  });

  it('gives several root fields, and introspection alone, one value each', () => {
    expect(labelOf('query { me { id } devices { id } }')).toBe('multiple');
    expect(labelOf('query { me { id } __typename }')).toBe('me');
    expect(labelOf('query { __schema { types { name } } }')).toBe('introspection');
  });
});
