import type { ClientOptions } from 'graphql-ws';
import { backoffMs, delay } from './refresh-backoff.js';
import type { SessionClient } from './session-client.js';
import { SIGN_OUT_CODES } from './tessera-error.js';
import type { TokenRefresher } from './token-refresher.js';

/** The service closes a socket whose access token it cannot accept (expired, or signed with a dropped key) with 4401. */
export const ACCESS_TOKEN_REFUSED_CLOSE_CODE = 4401;
/** The service closes a socket whose session has ended with 4403, the ending code as the reason. */
export const SESSION_ENDED_CLOSE_CODE = 4403;
/**
 * What graphql-ws is told instead of 4401. graphql-ws 6 gives up on 4401 before it asks
 * `shouldRetry`, so the WebSocket of these options reports it as this code, which graphql-ws
 * retries ("Terminated"), once the refused token has been dropped: the next connection renews it.
 */
export const RENEW_AND_RECONNECT_CLOSE_CODE = 4499;

export interface GraphQLWsClientOptionsSettings {
  /** A WebSocket class for platforms without a global one: in Node, the `ws` package's default export. */
  readonly webSocketImpl?: unknown;
  /** Backoff between reconnections: the first wait, doubling up to the second, with jitter. Default 500 ms to 15 s. */
  readonly reconnectDelayMs?: { readonly initial: number; readonly max: number };
}

/** The part of graphql-ws's `createClient` options that these set; spread them and add your own. */
export type GraphQLWsClientOptions = Required<
  Pick<ClientOptions, 'url' | 'webSocketImpl' | 'connectionParams' | 'shouldRetry' | 'retryAttempts' | 'retryWait' | 'on'>
>;

/**
 * Options for graphql-ws's `createClient`, for apps that subscribe through their own GraphQL
 * client (Apollo Client's GraphQLWsLink, urql's subscriptionExchange) rather than SessionSync:
 *
 * - `connectionParams` sends a current access token from the client's TokenRefresher at every
 *   (re)connection. It counts as background work: it renews only a token that has run out. A
 *   session bound to the device key connects with `{ authorization: "DPoP <token>", dpop: <proof> }`.
 * - On 4401 (the access token was refused) the token is dropped and the socket connects again
 *   with a renewed one. graphql-ws's default gives up here.
 * - On 4403 (the session has ended) it does not reconnect, and the client is signed out
 *   (`onSignedOut` fires), whether or not a subscription was still running: a subscription
 *   receives a GraphQL error with `extensions.code` SESSION_REVOKED or SESSION_EXPIRED first and
 *   is over by the time the socket closes. graphql-ws's default would retry. Apps that add
 *   listeners of their own under `on` call ours (`options.on.closed`) from theirs.
 * - Network failures are retried for as long as the client is signed in, with backoff; an idle
 *   app whose token has run out reconnects at its next sign of use, so that a socket does not
 *   keep an unused session alive (as SessionSync does).
 *
 * ```ts
 * const socket = createClient({ ...graphqlWsClientOptions(tessera, { webSocketImpl: WebSocket }), keepAlive: 20_000 });
 * ```
 */
export function graphqlWsClientOptions(client: SessionClient, settings: GraphQLWsClientOptionsSettings = {}): GraphQLWsClientOptions {
  const WebSocketClass = settings.webSocketImpl ?? (globalThis as { WebSocket?: unknown }).WebSocket;
  if (typeof WebSocketClass !== 'function') {
    throw new TypeError('No global WebSocket here: pass webSocketImpl (in Node, the default export of the ws package).');
  }
  const delays = settings.reconnectDelayMs ?? { initial: 500, max: 15_000 };
  let connectionToken: string | undefined;
  const url = client.graphqlUrl.replace(/^http/, 'ws');
  return {
    url,
    webSocketImpl: reportingRefusedTokenAsRetryable(WebSocketClass as WebSocketConstructor, () => {
      if (connectionToken !== undefined) client.refresher.invalidate(connectionToken);
    }),
    connectionParams: async () => {
      connectionToken = await client.refresher.getAccessToken({ activity: false });
      // A bound token's proof is for GET on the socket's URL, made afresh for each connection.
      return { ...(await client.authorizationHeaders(connectionToken, { method: 'GET', url })) };
    },
    shouldRetry: (closeEventOrError) => {
      if (sessionEnded(closeEventOrError)) return false;
      return client.refresher.signedIn;
    },
    on: {
      closed: (event) => {
        if (!sessionEnded(event)) return;
        const reason = (event as { reason?: unknown }).reason;
        void client.refresher.signOut(typeof reason === 'string' && SIGN_OUT_CODES.has(reason) ? reason : 'SESSION_REVOKED');
      },
    },
    retryAttempts: Number.POSITIVE_INFINITY,
    retryWait: async (retries) => {
      await delay(
        backoffMs({ attempts: Number.POSITIVE_INFINITY, baseDelayMs: delays.initial, maxDelayMs: delays.max }, retries + 1, undefined),
      );
      await backgroundUseAllowed(client.refresher);
    },
  };
}

function sessionEnded(closeEventOrError: unknown): boolean {
  return (closeEventOrError as { code?: unknown } | null)?.code === SESSION_ENDED_CLOSE_CODE;
}

type WebSocketConstructor = new (url: string, protocols?: string | string[]) => object;

interface CloseEventLike {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
}

/**
 * The platform's WebSocket, except that a 4401 close reaches graphql-ws (which sets `onclose`)
 * as RENEW_AND_RECONNECT_CLOSE_CODE, after `refused()`. `onclose` is an accessor on the
 * prototype of the browser's, React Native's and the ws package's WebSocket alike.
 */
function reportingRefusedTokenAsRetryable(Base: WebSocketConstructor, refused: () => void): WebSocketConstructor {
  return class TokenRenewingWebSocket extends Base {
    get onclose(): unknown {
      return Reflect.get(Base.prototype as object, 'onclose', this) as unknown;
    }

    set onclose(listener: unknown) {
      const forward =
        typeof listener === 'function'
          ? (event: CloseEventLike) => {
              if (event.code !== ACCESS_TOKEN_REFUSED_CLOSE_CODE) return listener.call(this, event) as unknown;
              refused();
              const renewing: CloseEventLike = { code: RENEW_AND_RECONNECT_CLOSE_CODE, reason: event.reason, wasClean: event.wasClean };
              return listener.call(this, renewing) as unknown;
            }
          : listener;
      Reflect.set(Base.prototype as object, 'onclose', forward, this);
    }
  };
}

/** Resolves at once when background work may use the session, else at the next sign of use (or a sign-out, which fails the connection). */
function backgroundUseAllowed(refresher: TokenRefresher): Promise<void> {
  if (refresher.backgroundUseAllowed || !refresher.signedIn) return Promise.resolve();
  return new Promise((resolve) => {
    const stop = () => {
      stopActivity();
      stopSignedOut();
      resolve();
    };
    const stopActivity = refresher.onActivity(stop);
    const stopSignedOut = refresher.onSignedOut(stop);
  });
}
