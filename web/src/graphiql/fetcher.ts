import { createGraphiQLFetcher, type Fetcher, type FetcherParams } from '@graphiql/toolkit';
import { Kind, parse } from 'graphql';

/**
 * Queries and mutations go to this service's /graphql over HTTP (JSON POSTs, which Apollo's CSRF
 * prevention accepts: a browser cannot send them cross-site without a preflight); subscriptions
 * over graphql-ws on the same path, ws: or wss: as the page was loaded.
 */
export function tesseraFetcher(location: Pick<Location, 'origin' | 'protocol' | 'host'>): Fetcher {
  const base = createGraphiQLFetcher({
    url: `${location.origin}/graphql`,
    subscriptionUrl: `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`,
    // The service has no @defer or @stream: plain JSON answers.
    enableIncrementalDelivery: false,
  });
  // GraphiQL hands the header editor's object to graphql-ws as connection_init's payload, whose
  // keys, unlike HTTP header names, are case-sensitive: the service reads `authorization`.
  return (params, options) => base(withKnownOperationName(params), options && { ...options, headers: lowerCaseKeys(options.headers) });
}

/**
 * Run right after switching tabs, GraphiQL can send the new tab's document with the operation
 * name of the tab it left ("Unknown operation named Register."). The name goes only when the
 * document has no operation of that name; a document of one operation then runs that one.
 */
function withKnownOperationName(params: FetcherParams): FetcherParams {
  let names: string[];
  try {
    names = parse(params.query).definitions.flatMap((definition) =>
      definition.kind === Kind.OPERATION_DEFINITION && definition.name ? [definition.name.value] : [],
    );
  } catch {
    return params; // the service answers a document that does not parse with its own error
  }
  if (!params.operationName || names.includes(params.operationName)) return params;
  return { ...params, operationName: names.length === 1 ? names[0] : null };
}

function lowerCaseKeys(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
