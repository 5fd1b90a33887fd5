import { createGraphiQLFetcher, type Fetcher } from '@graphiql/toolkit';

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
  return (params, options) => base(params, options && { ...options, headers: lowerCaseKeys(options.headers) });
}

function lowerCaseKeys(headers: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!headers) return headers;
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
