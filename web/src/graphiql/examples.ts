import type { GraphiQLProps } from 'graphiql';

type TabDefinition = NonNullable<GraphiQLProps['defaultTabs']>[number];

/**
 * The README's example operations ("Try it"), one tab per file of ./examples, in file order. The
 * files are the one source of truth: test/e2e/graphiql.e2e-spec.ts checks that the README shows
 * exactly these operations and that each validates against schema.gql.
 */
const files = import.meta.glob<string>('./examples/*.graphql', { query: '?raw', import: 'default', eager: true });

/** Register, log in and refresh hand out credentials; every other example needs an access token. */
const NEEDS_NO_TOKEN = new Set(['01-register', '02-log-in', '03-refresh']);

/** What the header editor starts with in the tabs that need a token: the line to complete. */
export const BEARER_HEADER_TEMPLATE = JSON.stringify({ Authorization: 'Bearer <accessToken>' }, null, 2);

export const EXAMPLE_TABS: TabDefinition[] = Object.keys(files)
  .sort()
  .map((path) => {
    const name = path.replace(/^.*\/|\.graphql$/g, '');
    return { query: files[path], headers: NEEDS_NO_TOKEN.has(name) ? null : BEARER_HEADER_TEMPLATE };
  });
