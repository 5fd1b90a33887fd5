// urql with Tessera: requests over HTTP POST with the SDK's access token (an auth exchange),
// subscriptions over graphql-ws with the SDK's socket options. Tested by
// test/e2e/client-sdk-package.embedded-only.e2e-spec.ts.
import { Client, cacheExchange, fetchExchange, mapExchange, subscriptionExchange } from '@urql/core';
import { authExchange } from '@urql/exchange-auth';
import { graphqlWsClientOptions, SIGN_OUT_CODES, type SessionClient } from '@tessera/client';
import { createClient } from 'graphql-ws';

/** `webSocketImpl`: in Node, the `ws` package's default export; browsers and React Native have a global WebSocket. */
export function createUrqlClient(tessera: SessionClient, options: { webSocketImpl?: unknown } = {}): Client {
  // Reconnects with a renewed token after 4401, stops and signs out after 4403.
  const socket = createClient({ ...graphqlWsClientOptions(tessera, options), keepAlive: 20_000 });

  return new Client({
    url: tessera.graphqlUrl,
    // urql sends queries as GET by default, which the service's CSRF prevention refuses (CSRF_BLOCKED).
    preferGetMethod: false,
    exchanges: [
      cacheExchange,
      // The session has ended (revoked elsewhere, idle, disabled): the SDK forgets it and emits onSignedOut.
      mapExchange({
        onError(error) {
          const code = error.graphQLErrors[0]?.extensions.code;
          if (typeof code === 'string' && SIGN_OUT_CODES.has(code)) void tessera.refresher.signOut(code);
        },
      }),
      authExchange(async (utils) => {
        // urql adds the header synchronously, so the exchange holds a token: the SDK's latest, renewed when the SDK would.
        let accessToken = await tessera.refresher.getAccessToken();
        let renewedElsewhere = false;
        tessera.refresher.onRefreshed(() => (renewedElsewhere = true));
        return {
          addAuthToOperation: (operation) => utils.appendHeaders(operation, { authorization: `Bearer ${accessToken}` }),
          willAuthError: () => renewedElsewhere || tessera.refresher.renewalDue,
          didAuthError: (error) => error.graphQLErrors.some((graphQLError) => graphQLError.extensions.code === 'TOKEN_EXPIRED'),
          async refreshAuth() {
            // Not due, so TOKEN_EXPIRED (the device's clock is behind): dropped, so that the SDK renews it.
            if (!tessera.refresher.renewalDue) tessera.refresher.invalidate(accessToken);
            accessToken = await tessera.refresher.getAccessToken();
            renewedElsewhere = false;
          },
        };
      }),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({ unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink) }),
        }),
      }),
    ],
  });
}
