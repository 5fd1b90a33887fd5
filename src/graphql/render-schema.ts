import { lexicographicSortSchema, printSchema, type GraphQLSchema } from 'graphql';

const HEADER = `# Generated from the code-first GraphQL types by \`npm run schema:generate\`; do not edit.
# A test fails when this file drifts from the running app or breaks contract/contract.graphql.

`;

/** Sorted, so that the committed file changes only when the schema does. */
export function renderSchema(schema: GraphQLSchema): string {
  return HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
}
