import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import type { GraphQLResponse } from './graphql-client.js';

export interface SocketOptions {
  /** Headers of the upgrade request, as a proxy in front of the service would add them. */
  readonly headers?: Record<string, string>;
}

/**
 * One graphql-ws connection used like an app uses it for queries and mutations: each operation's
 * result or errors, and how the server closed the socket. No retries: the tests look at the close.
 */
export class GraphQLSocket {
  closeCode: number | undefined;
  closeReason: string | undefined;
  readonly closed: Promise<number>;
  readonly connected: Promise<void>;
  private readonly client: Client;

  constructor(graphqlUrl: string, accessToken: string | undefined, options: SocketOptions = {}) {
    const headers = { 'user-agent': 'tessera-e2e-socket/1.0', ...options.headers };
    class WebSocketWithHeaders extends WebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols, { headers });
      }
    }
    let onClosed: (code: number) => void = () => undefined;
    let onConnected: () => void = () => undefined;
    this.closed = new Promise((resolve) => (onClosed = resolve));
    this.connected = new Promise((resolve) => (onConnected = resolve));
    this.client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocketWithHeaders,
      connectionParams: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      retryAttempts: 0,
      shouldRetry: () => false,
      lazy: false,
      onNonLazyError: () => undefined,
      on: {
        connected: () => onConnected(),
        closed: (event) => {
          const { code, reason } = event as { code?: number; reason?: string };
          this.closeCode = code;
          this.closeReason = reason;
          onClosed(code ?? 0);
        },
      },
    });
  }

  /** The operation's single result; errors sent as an `error` message come back as `errors`. */
  request<T = Record<string, any>>(query: string, variables: Record<string, unknown> = {}): Promise<Omit<GraphQLResponse<T>, 'status'>> {
    return new Promise((resolve) => {
      let result: Omit<GraphQLResponse<T>, 'status'> | undefined;
      this.client.subscribe<T>(
        { query, variables },
        {
          next: (value) => (result = { data: value.data, errors: value.errors as GraphQLResponse['errors'] }),
          error: (error) =>
            resolve({
              data: undefined,
              errors: Array.isArray(error) ? error : [{ message: String(error), extensions: { code: 'CLOSED' } }],
            }),
          complete: () => resolve(result ?? { data: undefined, errors: undefined }),
        },
      );
    });
  }

  /** Starts an operation that stays open (a subscription); `stop` ends it. */
  listen(query: string, onResult: (result: Omit<GraphQLResponse, 'status'>) => void): () => void {
    return this.client.subscribe(
      { query },
      {
        next: (value) => onResult({ data: value.data as Record<string, any>, errors: value.errors as GraphQLResponse['errors'] }),
        error: (error) =>
          onResult({
            data: undefined,
            errors: Array.isArray(error) ? error : [{ message: String(error), extensions: { code: 'CLOSED' } }],
          }),
        complete: () => undefined,
      },
    );
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }
}

/** Resolves with the close code, or fails after `timeoutMs`. */
export async function closedWithin(socket: GraphQLSocket, timeoutMs: number): Promise<number> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`The socket was still open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([socket.closed, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
