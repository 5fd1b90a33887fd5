import { describe, expect, it } from '@jest/globals';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate } from 'graphql';
import { maxFragmentSpreadsRule } from './max-fragment-spreads.rule.js';

const schema = buildSchema(`
  type Node { id: ID! child: Node }
  type Query { node: Node }
`);

const rule = maxFragmentSpreadsRule(50);
const errorsOf = (source: string) => validate(schema, parse(source), [rule]);
const spreads = (count: number, name = 'Id') => `...${name} `.repeat(count);

describe('maxFragmentSpreadsRule', () => {
  it('allows 50 fragment spreads and refuses 51 with BAD_USER_INPUT', () => {
    expect(errorsOf(`{ node { ${spreads(50)} } } fragment Id on Node { id }`)).toEqual([]);
    const [error, ...others] = errorsOf(`{ node { ${spreads(51)} } } fragment Id on Node { id }`);
    expect(others).toEqual([]);
    expect(error.message).toBe('The document has 51 fragment spreads; at most 50 are allowed.');
    expect(error.extensions.code).toBe('BAD_USER_INPUT');
  });

  it('points at the first spread over the limit', () => {
    const source = `{ node { ${spreads(50)}...Over } } fragment Id on Node { id } fragment Over on Node { id }`;
    const [error] = errorsOf(source);
    expect(error.locations).toEqual([{ line: 1, column: source.indexOf('...Over') + 1 }]);
  });

  it('counts the spreads written in every operation and fragment of the document', () => {
    const source = `
      query A { node { ${spreads(20, 'Child')} } }
      query B { node { ${spreads(20, 'Child')} } }
      fragment Child on Node { child { ${spreads(11)} } }
      fragment Id on Node { id }
    `;
    expect(errorsOf(source).map((error) => error.message)).toEqual(['The document has 51 fragment spreads; at most 50 are allowed.']);
  });

  it('refuses ten fragments that each spread the next ten times', () => {
    const fragments = Array.from({ length: 9 }, (_, i) => `fragment F${i} on Node { ${spreads(10, `F${i + 1}`)}}`);
    const source = `{ node { ...F0 } } ${fragments.join(' ')} fragment F9 on Node { id }`;
    expect(errorsOf(source).map((error) => error.message)).toEqual(['The document has 91 fragment spreads; at most 50 are allowed.']);
  });

  it('reports the refusal first, even when graphql stops validating at its error limit', () => {
    const unknownFields = Array.from({ length: 120 }, (_, i) => `unknown${i}`).join(' ');
    const source = `{ node { ${spreads(51)} ${unknownFields} } } fragment Id on Node { id }`;
    const errors = validate(schema, parse(source), [...specifiedRules, rule]);
    expect(errors.at(-1)!.message).toContain('Validation aborted');
    expect(errors[0].message).toBe('The document has 51 fragment spreads; at most 50 are allowed.');
  });

  it('leaves the standard introspection query alone', () => {
    expect(errorsOf(getIntrospectionQuery({ descriptions: true, inputValueDeprecation: true, oneOf: true }))).toEqual([]);
  });
});
