import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from '@jest/globals';
import fc from 'fast-check';
import { buildSchema, getIntrospectionQuery, parse, specifiedRules, validate, type GraphQLError } from 'graphql';
import { QUERY_LIMITS, queryLimitProtections } from './query-limits.js';

const schema = buildSchema(readFileSync(join(import.meta.dirname, '..', '..', 'schema.gql'), 'utf8'));
/** What Apollo and the socket server run: graphql's own rules beside ours, in one pass. */
const rules = [...specifiedRules, ...queryLimitProtections().validationRules];
/**
 * CPU time, not wall time: what a document costs the service, whatever else shares the machine.
 * Linear validation takes tens of milliseconds (about 200 at worst on a busy two-core machine,
 * garbage collection included); the fan-out this guards against took minutes. The bound sits far
 * from both, so it can only fail on a return of the exponential walk.
 */
const CPU_TIME_LIMIT_MS = 1_000;
/** Far above the CPU limit, so that only runaway validation reaches it, never a busy machine. */
const WATCHDOG_MS = 5_000;

/**
 * Validates `source` with the service's rules and checks the CPU time it took. A rule that is
 * not linear runs for minutes, and a test that merely measured it would hang the run instead of
 * failing; the vm watchdog stops it.
 */
function validateWithinTimeLimit(source: string): readonly GraphQLError[] {
  const document = parse(source, { maxTokens: QUERY_LIMITS.maxTokens });
  const before = process.cpuUsage();
  const errors = runInNewContext(
    'validateDocument()',
    { validateDocument: () => validate(schema, document, rules) },
    { timeout: WATCHDOG_MS },
  ) as readonly GraphQLError[];
  const { user, system } = process.cpuUsage(before);
  expect((user + system) / 1_000).toBeLessThan(CPU_TIME_LIMIT_MS);
  return errors;
}

/** The security review's document: `levels` fragments, each spreading the next ten times. */
function reviewFanOut(levels: number): string {
  const fragments = Array.from({ length: levels - 1 }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(10)}}`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels - 1} on Query { __typename }`;
}

const fitsTokenLimit = (source: string) => {
  try {
    parse(source, { maxTokens: QUERY_LIMITS.maxTokens });
    return true;
  } catch {
    return false;
  }
};

/** Fields and inline fragments that nest one __Type inside another, the recursion every schema has. */
const WRAPPERS = [
  ['ofType {', '}'],
  ['possibleTypes {', '}'],
  ['interfaces {', '}'],
  ['fields { type {', '} }'],
  ['fields(includeDeprecated: true) { args { type {', '} } }'],
  ['inputFields { type {', '} }'],
  ['... on __Type {', '}'],
  ['... {', '}'],
] as const;

/** A spread of the next fragment (fan-out) or of any fragment (which may close a cycle), nested and decorated. */
const spreadArbitrary = (fragmentCount: number) =>
  fc.record({
    target: fc.oneof({ weight: 4, arbitrary: fc.constant('next' as const) }, { weight: 1, arbitrary: fc.nat(fragmentCount - 1) }),
    wrappers: fc.array(fc.constantFrom(...WRAPPERS), { maxLength: 3 }),
    sibling: fc.constantFrom('', 'name', 'kind', 'name: kind', '__typename'),
    directive: fc.constantFrom('', '@include(if: true)', '@skip(if: false)'),
  });

const fanOutDocument = fc
  .integer({ min: 1, max: 12 })
  .chain((fragmentCount) =>
    fc.record({
      fragmentCount: fc.constant(fragmentCount),
      bodies: fc.array(fc.array(spreadArbitrary(fragmentCount), { minLength: 1, maxLength: 12 }), {
        minLength: fragmentCount - 1,
        maxLength: fragmentCount - 1,
      }),
      root: fc.constantFrom(
        '{ __type(name: "Query") { ...F0 } }',
        '{ __schema { types { ...F0 } } }',
        'query Q { __type(name: "User") { ... on __Type { ...F0 } } }',
      ),
    }),
  )
  .map(({ fragmentCount, bodies, root }) => {
    const fragments = bodies.map((spreads, index) => {
      const selections = spreads.map(({ target, wrappers, sibling, directive }) => {
        const name = target === 'next' ? `F${index + 1}` : `F${target}`;
        const opening = wrappers.map(([open]) => open).join(' ');
        const closing = wrappers
          .map(([, close]) => close)
          .reverse()
          .join(' ');
        return `${opening} ${sibling} ...${name} ${directive} ${closing}`;
      });
      return `fragment F${index} on __Type { ${selections.join(' ')} }`;
    });
    return `${root} ${fragments.join(' ')} fragment F${fragmentCount - 1} on __Type { name kind }`;
  })
  .filter(fitsTokenLimit);

describe('query limits, as the service runs them', () => {
  it('answers the nine- and ten-level fragment fan-out from the security review within a second of CPU time, refusing both', () => {
    for (const levels of [9, 10]) {
      const errors = validateWithinTimeLimit(reviewFanOut(levels));
      expect(errors.map((error) => [error.message, error.extensions.code])).toEqual([
        [`The document has ${(levels - 1) * 10 + 1} fragment spreads; at most 50 are allowed.`, 'BAD_USER_INPUT'],
      ]);
    }
  });

  it('answers a fan-out of directives on spreads within a second of CPU time', () => {
    const directives = reviewFanOut(10).replaceAll(/(\.\.\.F\d+)/g, '$1 @include(if: true)');
    expect(validateWithinTimeLimit(directives).map((error) => error.extensions.code)).toContain('BAD_USER_INPUT');
  });

  it('validates any fan-out and nesting of fragments within a second of CPU time, and refuses more than 50 spreads', () => {
    fc.assert(
      fc.property(fanOutDocument, (source) => {
        const errors = validateWithinTimeLimit(source);
        const spreads = source.match(/\.\.\.F\d+/g)!.length;
        const refusedForSpreads = errors.some((error) => error.message.includes('fragment spreads; at most 50'));
        expect(refusedForSpreads).toBe(spreads > QUERY_LIMITS.maxFragmentSpreads);
      }),
      // At 300 runs this was a fifth of the unit tier's time; the security review's worst shapes have tests of their own.
      { numRuns: 75 },
    );
  });

  it('accepts the introspection query GraphiQL, Apollo Sandbox and GraphQL Code Generator send, with any of its options', () => {
    const options = fc.record({
      descriptions: fc.boolean(),
      specifiedByUrl: fc.boolean(),
      directiveIsRepeatable: fc.boolean(),
      schemaDescription: fc.boolean(),
      inputValueDeprecation: fc.boolean(),
      experimentalDirectiveDeprecation: fc.boolean(),
      oneOf: fc.boolean(),
    });
    expect(validateWithinTimeLimit(getIntrospectionQuery())).toEqual([]);
    fc.assert(
      fc.property(options, (chosen) => {
        expect(validateWithinTimeLimit(getIntrospectionQuery(chosen))).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a 30-level ofType chain', () => {
    const chain = `{ __type(name: "Query") { ${'ofType { '.repeat(30)}name${' }'.repeat(30)} } }`;
    expect(validateWithinTimeLimit(chain).map((error) => [error.message, error.extensions.code])).toEqual([
      ['The query nests ofType 30 levels deep; at most 9 are allowed.', 'BAD_USER_INPUT'],
    ]);
  });
});
