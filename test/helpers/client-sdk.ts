import WebSocket from 'ws';
import {
  MemoryTokenStore,
  SessionClient,
  SessionSync,
  type DeviceInput,
  type SessionClientOptions,
  type TokenStore,
} from '../../client/src/index.js';
import { deviceInput } from '../factories/session.factory.js';
import type { TestApp } from './test-app.js';

/** A fresh app install's description of itself, as the SDK's login takes it. */
export function sdkDevice(overrides: Partial<DeviceInput> = {}): DeviceInput {
  return { ...deviceInput(), type: 'IOS', ...overrides };
}

/** fetch as the SDK sends it, with every GraphQL operation it sent recorded by name. */
export class RecordingFetch {
  readonly operations: string[] = [];

  readonly fetch: typeof fetch = async (input, init) => {
    const body = typeof init?.body === 'string' ? init.body : '';
    const name = /"query":"(?:mutation|query|subscription)\s+(\w+)/.exec(body)?.[1];
    if (name) this.operations.push(name);
    return fetch(input, init);
  };

  count(operation: string): number {
    return this.operations.filter((name) => name === operation).length;
  }
}

export interface ClientUnderTest {
  readonly client: SessionClient;
  readonly store: TokenStore;
  readonly recorder: RecordingFetch;
  /** Every reason the client's onSignedOut reported, in order. */
  readonly signedOut: string[];
}

/**
 * A SessionClient on the service's own clock: the app and the service agree on the time, and a
 * test moves both at once with app.clock.advance().
 */
export function clientFor(app: TestApp, options: Partial<SessionClientOptions> & { baseUrl?: string } = {}): ClientUnderTest {
  const recorder = new RecordingFetch();
  const store = options.store ?? new MemoryTokenStore();
  const client = new SessionClient({
    url: options.baseUrl ?? app.baseUrl,
    store,
    now: () => app.clock.now().getTime(),
    fetch: recorder.fetch,
    refreshCheckIntervalMs: 0,
    refreshRetry: { baseDelayMs: 20, maxDelayMs: 100 },
    ...options,
  });
  const signedOut: string[] = [];
  client.onSignedOut((reason) => signedOut.push(reason));
  return { client, store, recorder, signedOut };
}

export function syncFor(client: SessionClient, webSocketImpl: unknown = WebSocket): SessionSync {
  return new SessionSync({ client, webSocketImpl, reconnectDelayMs: { initial: 20, max: 200 } });
}

/** Resolves when `condition` holds, checking after every turn of the event loop; fails after `timeoutMs`. */
export async function eventually(condition: () => boolean | Promise<boolean>, timeoutMs = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The service's own count of refresh requests it answered, whatever the outcome (GET /metrics). */
export async function refreshesSeenByService(app: TestApp): Promise<number> {
  const text = await (await fetch(`${app.baseUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('tessera_refreshes_total{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}
