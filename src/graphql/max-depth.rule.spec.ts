import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
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

/** `levels` directly nested `ofType` fields under `__type`. */
function ofTypeChain(levels: number): string {
  let selection = 'name';
  for (let level = 0; level < levels; level++) selection = `ofType { ${selection} }`;
  return `{ __type(name: "Node") { ${selection} } }`;
}

/** Ten fragments, each spreading the next `spreads` times: one selection, reached spreads^(levels-1) ways. */
function fanOut(levels: number, spreads = 10): string {
  const fragments = Array.from({ length: levels - 1 }, (_, i) => `fragment F${i} on Node { ${`...F${i + 1} `.repeat(spreads)}}`);
  return `{ node { ...F0 } } ${fragments.join(' ')} fragment F${levels - 1} on Node { child { id } }`;
}

const rule = maxDepthRule({ maxDepth: 10, maxOfTypeNesting: 9 });
const errorsOf = (source: string) => validate(schema, parse(source), [rule]).map((error) => error.message);

describe('maxDepthRule', () => {
  it('allows exactly 10 levels and refuses 11', () => {
    expect(errorsOf(query(10))).toEqual([]);
    expect(errorsOf(query(11))).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('refuses with BAD_USER_INPUT, the code a client reads', () => {
    const [error] = validate(schema, parse(query(11)), [rule]);
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('counts fields reached through fragments and inline fragments', () => {
    const source = `
      { node { ...Deep } }
      fragment Deep on Node { child { ... on Node { child { child { child { child { child { child { child { child { id } } } } } } } } } } }
    `;
    expect(errorsOf(source)).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('measures a fragment spread in several places by the deepest of them', () => {
    const source = `
      { node { ...Eight child { child { ...Eight } } } }
      fragment Eight on Node { child { child { child { child { child { child { child { id } } } } } } } }
    `;
    expect(errorsOf(source)).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('counts introspection like any query', () => {
    const cycle = `{ __type(name: "Node") { fields { type { fields { type { fields { type { fields { type { fields { name } } } } } } } } } } }`;
    expect(errorsOf(cycle)).toEqual(['The query is nested 11 levels deep; at most 10 are allowed.']);
  });

  it('lets ofType nest as deep as the standard introspection query does, and no deeper', () => {
    expect(errorsOf(ofTypeChain(9))).toEqual([]);
    expect(errorsOf(ofTypeChain(10))).toEqual(['The query nests ofType 10 levels deep; at most 9 are allowed.']);
  });

  it('refuses a 30-level ofType chain', () => {
    expect(errorsOf(ofTypeChain(30))).toEqual(['The query nests ofType 30 levels deep; at most 9 are allowed.']);
  });

  it('follows an ofType chain through fragments, inline fragments and aliases', () => {
    const source = `
      { __type(name: "Node") { ofType { ...Five } } }
      fragment Five on __Type { ofType { ... on __Type { inner: ofType { ofType { ofType { ofType { name } } } } } } }
    `;
    expect(errorsOf(source)).toEqual([]);
    const tooLong = source.replace('ofType { ...Five }', 'ofType { ofType { ofType { ofType { ofType { ...Five } } } } }');
    expect(errorsOf(tooLong)).toEqual(['The query nests ofType 10 levels deep; at most 9 are allowed.']);
  });

  it('accepts graphql-js getIntrospectionQuery(), with and without its options', () => {
    expect(errorsOf(getIntrospectionQuery())).toEqual([]);
    const everyOption = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    expect(validate(schema, parse(everyOption), [...specifiedRules, rule])).toEqual([]);
  });

  it('measures a fan-out of ten million paths through fragments within a second of CPU time', () => {
    const tooDeep = fanOut(8).replace('child { id }', `${'child { '.repeat(9)}id${' }'.repeat(9)}`);
    const before = process.cpuUsage();
    // The watchdog turns a walk of every path, which takes minutes, into a failure instead of a hung run.
    const errors = runInNewContext(
      'measureBoth()',
      { measureBoth: () => [errorsOf(fanOut(8)), errorsOf(tooDeep)] },
      { timeout: 5_000 },
    ) as string[][];
    const { user, system } = process.cpuUsage(before);
    expect(errors).toEqual([[], ['The query is nested 11 levels deep; at most 10 are allowed.']]);
    expect((user + system) / 1_000).toBeLessThan(1_000);
  });

  it('survives a fragment cycle (reported by graphql itself)', () => {
    const source = `{ node { ...A } } fragment A on Node { child { ...B } } fragment B on Node { child { ...A } }`;
    expect(() => errorsOf(source)).not.toThrow();
  });
});
