import { describe, expect, it } from '@jest/globals';
import { buildSchema, parse, validate } from 'graphql';
import { maxDepthRule } from './max-depth.rule.js';

const schema = buildSchema(`
  type Node { id: ID! child: Node wrapped: [Node!]! }
  type Query { node: Node }
`);

/** `levels` nested fields, counting `node` and the leaf `id`. */
function query(levels: number): string {
  let selection = 'id';
  for (let level = 2; level < levels; level++) selection = `child { ${selection} }`;
  return `{ node { ${selection} } }`;
}

const errorsOf = (source: string) => validate(schema, parse(source), [maxDepthRule(10)]).map((error) => error.message);

describe('maxDepthRule', () => {
  it('allows exactly 10 levels and refuses 11', () => {
    expect(errorsOf(query(10))).toEqual([]);
    expect(errorsOf(query(11))).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('counts fields reached through fragments and inline fragments', () => {
    const source = `
      { node { ...Deep } }
      fragment Deep on Node { child { ... on Node { child { child { child { child { child { child { child { child { id } } } } } } } } } } }
    `;
    expect(errorsOf(source)).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('counts introspection, but not the ofType chain every client introspection query walks', () => {
    const introspection = `{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } }`;
    expect(errorsOf(introspection)).toEqual([]);
    const cycle = `{ __type(name: "Node") { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } }`;
    expect(errorsOf(cycle)).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('survives a fragment cycle (reported by graphql itself)', () => {
    const source = `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`;
    expect(() => errorsOf(source)).not.toThrow();
  });
});
