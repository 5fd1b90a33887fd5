import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export const SESSION_EVENTS = `subscription {
  sessionEvents {
    type userId sessionId version occurredAt
    session { id status endReason current device { id name trusted } }
    device { id trusted }
  }
}`;

export interface ReceivedEvent {
  type: string;
  userId: string;
  sessionId: string | null;
  version: number;
  occurredAt: string;
  session: { id: string; status: string; endReason: string | null; current: boolean; device: { id: string } } | null;
  device: { id: string; trusted: boolean } | null;
}

/**
 * A device listening to its session events over graphql-ws, as an app would: collects every
 * event and how the socket closed.
 */
export class EventListener {
  readonly events: ReceivedEvent[] = [];
  readonly errors: unknown[] = [];
  closeCode: number | undefined;
  private readonly client: Client;
  private readonly waiters = new Set<() => void>();

  constructor(
    graphqlUrl: string,
    accessToken: string | undefined,
    private readonly query = SESSION_EVENTS,
  ) {
    this.client = createClient({
      url: graphqlUrl.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      retryAttempts: 0,
      shouldRetry: () => false,
      lazy: false,
      // The close code is what the tests look at; graphql-ws would also log it to the console.
      onNonLazyError: () => undefined,
      on: {
        closed: (event) => {
          this.closeCode = (event as { code?: number }).code;
          this.notify();
        },
      },
    });
  }

  /** Subscribes and resolves once the server has the subscription (its first event may still be far off). */
  async subscribe(): Promise<this> {
    this.client.subscribe<{ sessionEvents: ReceivedEvent }>(
      { query: this.query },
      {
        next: (result) => {
          if (result.data) this.events.push(result.data.sessionEvents);
          if (result.errors) this.errors.push(...result.errors);
          this.notify();
        },
        error: (error) => {
          this.errors.push(error);
          this.notify();
        },
        complete: () => this.notify(),
      },
    );
    // connection_ack then subscribe travel on one socket: a round trip on it proves both arrived.
    await new Promise((resolve) => setTimeout(resolve, 150));
    return this;
  }

  /** Waits until `condition` holds, or fails after `timeoutMs`. */
  async until(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
    if (condition()) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const errors = JSON.stringify(this.errors).slice(0, 500);
        reject(
          new Error(`Timed out; events: ${JSON.stringify(this.events.map((e) => e.type))}, close: ${this.closeCode}, errors: ${errors}`),
        );
      }, timeoutMs);
      const check = () => {
        if (condition()) {
          clearTimeout(timer);
          this.waiters.delete(check);
          resolve();
        }
      };
      this.waiters.add(check);
    });
  }

  eventOf(type: string, sessionId?: string): ReceivedEvent | undefined {
    return this.events.find((event) => event.type === type && (sessionId === undefined || event.sessionId === sessionId));
  }

  async dispose(): Promise<void> {
    await this.client.dispose();
  }

  private notify(): void {
    for (const waiter of [...this.waiters]) waiter();
  }
}
