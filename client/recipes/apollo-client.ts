// Apollo Client 4 with Tessera: queries and mutations over HTTP with the SDK's access token,
// subscriptions over graphql-ws with the SDK's socket options. Tested by
// test/e2e/client-sdk-package.embedded-only.e2e-spec.ts.
import { ApolloClient, ApolloLink, CombinedGraphQLErrors, HttpLink, InMemoryCache } from '@apollo/client';
import { SetContextLink } from '@apollo/client/link/context';
import { ErrorLink } from '@apollo/client/link/error';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { graphqlWsClientOptions, SIGN_OUT_CODES, type SessionClient } from '@tessera/client';
import { OperationTypeNode } from 'graphql';
import { createClient } from 'graphql-ws';

/** `webSocketImpl`: in Node, the `ws` package's default export; browsers and React Native have a global WebSocket. */
export function createApolloClient(tessera: SessionClient, options: { webSocketImpl?: unknown } = {}): ApolloClient {
  // A valid token from the SDK, renewed ahead of expiry; the context keeps the one sent for errorLink.
  const authLink = new SetContextLink(async (context) => {
    const accessToken = await tessera.refresher.getAccessToken();
    return { accessToken, headers: { ...(context.headers as Record<string, string>), authorization: `Bearer ${accessToken}` } };
  });

  const errorLink = new ErrorLink(({ error, operation, forward }) => {
    const code = CombinedGraphQLErrors.is(error) ? error.errors[0]?.extensions?.code : undefined;
    if (code === 'TOKEN_EXPIRED') {
      // Expired on arrival (the device's clock is behind): drop that token and send the operation
      // once more through authLink, which gets a renewed one.
      tessera.refresher.invalidate(operation.getContext().accessToken as string);
      return forward(operation);
    }
    // The session has ended (revoked elsewhere, idle, disabled): the SDK forgets it and emits onSignedOut.
    if (typeof code === 'string' && SIGN_OUT_CODES.has(code)) void tessera.refresher.signOut(code);
  });

  const httpLink = ApolloLink.from([errorLink, authLink, new HttpLink({ uri: tessera.graphqlUrl })]);
  // Reconnects with a renewed token after 4401, stops and signs out after 4403.
  const webSocketLink = new GraphQLWsLink(createClient({ ...graphqlWsClientOptions(tessera, options), keepAlive: 20_000 }));

  return new ApolloClient({
    link: ApolloLink.split(({ operationType }) => operationType === OperationTypeNode.SUBSCRIPTION, webSocketLink, httpLink),
    cache: new InMemoryCache(),
  });
}
