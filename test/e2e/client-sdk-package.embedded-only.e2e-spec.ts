import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, jest } from '@jest/globals';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import * as sdk from '../../client/src/index.js';
import { registerUser, type TestUser } from '../factories/session.factory.js';
import { clientFor, eventually, sdkDevice, type ClientUnderTest } from '../helpers/client-sdk.js';
import { WebSocketControl } from '../helpers/controllable-web-socket.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const run = promisify(execFile);
const REPOSITORY = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const CLIENT = join(REPOSITORY, 'client');
const RECIPES = ['apollo-client', 'urql'] as const;

// The recipes import the SDK by its package name, as an app does; here that name is the SDK's source.
jest.unstable_mockModule('@tessera/client', () => sdk, { virtual: true });
const loadRecipe = (name: (typeof RECIPES)[number]): Promise<any> => import(`../../client/recipes/${name}.js`);

/** Every change to the user's sessions since the first: a subscriber that connects late misses none. */
const SESSION_EVENTS = 'subscription { sessionEvents(since: 0) { type sessionId version } }';
const ACTIVE_SESSIONS = 'query { activeSessions { id current device { name } } }';

interface ReceivedEvent {
  readonly type: string;
  readonly sessionId: string | null;
}
interface SubscriptionResult {
  readonly data?: { readonly sessionEvents: ReceivedEvent } | null;
  readonly error?: unknown;
}

/**
 * The SDK as apps get it: packed, installed into a project of its own and used from there; its
 * generated operations kept equal to schema.gql; and the README's recipes for Apollo Client and
 * urql, run against the service.
 */
describe('client SDK: the package, and third-party GraphQL clients', () => {
  let app: TestApp;
  let user: TestUser;
  const cleanups: (() => unknown)[] = [];

  /** A device of the user, signed in through the SDK; `now` stands for the device's own clock. */
  const device = async (name: string, options: { now?: () => number } = {}): Promise<ClientUnderTest> => {
    const handle = clientFor(app, options);
    await handle.client.login({ email: user.email, password: user.password, device: sdkDevice({ name }) });
    cleanups.push(() => handle.client.close());
    return handle;
  };
  /**
   * The results of a subscription through a third-party client, events and errors apart (both
   * Apollo Client 4 and urql deliver an error as a result); unsubscribed after the test.
   */
  const collect = (subscribe: (onResult: (result: SubscriptionResult) => void) => { unsubscribe(): void }) => {
    const received = { events: [] as ReceivedEvent[], errors: [] as unknown[] };
    const subscription = subscribe((result) => {
      if (result.data) received.events.push(result.data.sessionEvents);
      if (result.error) received.errors.push(result.error);
    });
    cleanups.unshift(() => subscription.unsubscribe());
    return received;
  };
  /** The codes of a subscription's GraphQL errors as Apollo Client 4 (`errors`) and urql (`graphQLErrors`) hand them over. */
  const codesOf = (error: unknown) => {
    const { errors, graphQLErrors } = error as { errors?: unknown[]; graphQLErrors?: unknown[] };
    return (errors ?? graphQLErrors ?? []).map((each) => (each as { extensions?: { code?: unknown } }).extensions?.code);
  };
  const sawSession = (received: { events: ReceivedEvent[] }, sessionId: string | null) => () =>
    received.events.some((event) => event.type === 'SESSION_CREATED' && event.sessionId === sessionId);

  beforeAll(async () => {
    // Open sockets are re-checked every SESSION_STATE_TTL: 1 s, so an expired token's socket closes soon.
    app = await startTestApp({ ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TIMEOUT: '30m', SESSION_STATE_TTL: '1s' });
  });
  beforeEach(async () => {
    user = await registerUser(app.graphql); // a user per test: no event of one test reaches another
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
  });
  afterAll(() => app.close());

  describe('the package', () => {
    it('packs with its build and, installed into a new project, logs in and lists sessions from ESM, and type-checks under node10 and nodenext resolution', async () => {
      const scratch = await mkdtemp(join(tmpdir(), 'tessera-sdk-'));
      cleanups.push(() => rm(scratch, { recursive: true, force: true }));

      const { stdout: packed } = await run('npm', ['pack', '--json', '--pack-destination', scratch], { cwd: CLIENT });
      const [tarball] = JSON.parse(packed) as { filename: string; files: { path: string }[] }[];
      const files = tarball.files.map((file) => file.path);
      expect(files).toEqual(
        expect.arrayContaining(['LICENSE', 'dist/index.js', 'dist/index.d.ts', 'dist/node.js', 'dist/index.js.map', 'src/index.ts']),
      );
      expect(
        files.filter((file) => file.startsWith('dist/')).every((file) => /^dist\/(generated\/)?[\w-]+\.(js|d\.ts)(\.map)?$/.test(file)),
      ).toBe(true);

      const project = join(scratch, 'app');
      await mkdir(project);
      await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'sdk-user', private: true, type: 'module' }));
      const install = ['install', join(scratch, tarball.filename), '--no-audit', '--no-fund'];
      // From npm's cache when it has every package; a machine that has not seen them fetches them.
      await run('npm', [...install, '--offline'], { cwd: project }).catch(() =>
        run('npm', [...install, '--prefer-offline'], { cwd: project }),
      );
      const installed = join(project, 'node_modules/@tessera/client');
      expect(JSON.parse(await readFile(join(installed, 'package.json'), 'utf8'))).toMatchObject({ license: 'MIT' });
      expect(existsSync(join(project, 'node_modules/ws'))).toBe(false); // an optional peer: Node apps that subscribe add it

      for (const map of (await readdir(join(installed, 'dist'), { recursive: true })).filter((file) => file.endsWith('.map'))) {
        const { sources } = JSON.parse(await readFile(join(installed, 'dist', map), 'utf8')) as { sources: string[] };
        for (const source of sources) expect(existsSync(resolve(installed, 'dist', dirname(map), source))).toBe(true);
      }

      await writeFile(
        join(project, 'list-sessions.js'),
        `import { SessionClient } from '@tessera/client';
import { EncryptedFileTokenStore } from '@tessera/client/node';
import { randomBytes, randomUUID } from 'node:crypto';

const [url, email, password] = process.argv.slice(2);
const client = new SessionClient({ url, store: new EncryptedFileTokenStore({ path: 'session.bin', key: randomBytes(32) }) });
await client.login({ email, password, device: { deviceId: randomUUID(), type: 'DESKTOP', name: 'installed' } });
console.log(JSON.stringify(await client.activeSessions()));
client.close();
`,
      );
      await writeFile(
        join(project, 'check.ts'),
        `import { graphqlWsClientOptions, MemoryTokenStore, SessionClient, TesseraActiveSessionsDocument, type Session } from '@tessera/client';
import { EncryptedFileTokenStore } from '@tessera/client/node';

export async function listSessions(url: string): Promise<Session[]> {
  const client = new SessionClient({ url, store: new EncryptedFileTokenStore({ path: 'session.bin', key: new Uint8Array(32) }) });
  void new MemoryTokenStore();
  void graphqlWsClientOptions(client, { webSocketImpl: class {} });
  const typed = await client.request(TesseraActiveSessionsDocument);
  // @ts-expect-error a typed document types the result: there is no such field
  void typed.activeSessions[0]?.nothing;
  return typed.activeSessions;
}
`,
      );
      const compilerOptions = {
        target: 'ES2022',
        lib: ['ES2022', 'DOM'],
        strict: true,
        noEmit: true,
        types: [],
        // The SDK's declarations and those it imports are checked; TypeScript's own lib files are not.
        skipDefaultLibCheck: true,
      };
      const tsconfigs = {
        'tsconfig.node10.json': { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10', ignoreDeprecations: '6.0' },
        'tsconfig.nodenext.json': { ...compilerOptions, module: 'nodenext', moduleResolution: 'nodenext' },
      };
      for (const [file, options] of Object.entries(tsconfigs)) {
        await writeFile(join(project, file), JSON.stringify({ compilerOptions: options, files: ['check.ts'] }));
      }
      const typescript = join(REPOSITORY, 'node_modules/typescript/bin/tsc');
      const [listed] = await Promise.all([
        run(process.execPath, ['list-sessions.js', app.baseUrl, user.email, user.password], { cwd: project }),
        ...Object.keys(tsconfigs).map((file) => run(process.execPath, [typescript, '-p', file], { cwd: project })),
      ]);
      const sessions = JSON.parse(listed.stdout) as sdk.Session[];
      expect(sessions).toEqual([expect.objectContaining({ current: true, device: expect.objectContaining({ name: 'installed' }) })]);
    });

    it('keeps its generated operations and types equal to what schema.gql generates (npm run codegen)', async () => {
      await expect(run(process.execPath, ['--import', 'tsx', 'client/codegen.ts', '--check'], { cwd: REPOSITORY })).resolves.toBeDefined();
    });

    it('has the README quote each recipe as it is tested here', async () => {
      const readme = await readFile(join(CLIENT, 'README.md'), 'utf8');
      for (const recipe of RECIPES) {
        const source = await readFile(join(CLIENT, `recipes/${recipe}.ts`), 'utf8');
        expect(readme).toContain('```ts\n' + source + '```');
      }
    });
  });

  describe('graphqlWsClientOptions', () => {
    it('does not renew an idle app’s token to reconnect: after a drop, the socket waits for the app’s next use', async () => {
      const network = new WebSocketControl();
      const phone = await device('phone');
      const options = sdk.graphqlWsClientOptions(phone.client, {
        webSocketImpl: network.WebSocket,
        reconnectDelayMs: { initial: 20, max: 100 },
      });
      const socket = createClient(options);
      cleanups.push(() => socket.dispose());
      const received = collect((onResult) => ({
        unsubscribe: socket.subscribe(
          { query: SESSION_EVENTS },
          { next: onResult, error: (error) => onResult({ error }), complete: () => undefined },
        ),
      }));
      await eventually(sawSession(received, phone.client.currentSessionId), 3_000, 'the phone’s own SESSION_CREATED');

      app.clock.advance(16 * MINUTE); // nobody touched the app; its token has run out
      network.cutAll();
      const tablet = await device('tablet');
      await new Promise((resolve) => setTimeout(resolve, 500)); // several reconnection waits
      expect(network.sockets.size).toBe(0);
      expect(phone.client.refresher.refreshes).toBe(0);

      phone.client.refresher.noteActivity(); // the user opens the app
      await eventually(sawSession(received, tablet.client.currentSessionId), 3_000, 'the tablet’s SESSION_CREATED once the app is used');
      expect(phone.client.refresher.refreshes).toBe(1);
      expect(received.errors).toEqual([]);
    });
  });

  describe('the Apollo Client 4 recipe', () => {
    let apollo: typeof import('@apollo/client');
    beforeAll(async () => {
      apollo = await import('@apollo/client');
    });

    it('queries over HTTP and subscribes over graphql-ws with the SDK’s access token', async () => {
      const { createApolloClient } = await loadRecipe('apollo-client');
      const phone = await device('phone');
      const client = createApolloClient(phone.client, { webSocketImpl: WebSocket });

      const { data } = await client.query({ query: apollo.gql(ACTIVE_SESSIONS) });
      expect(data.activeSessions).toContainEqual(expect.objectContaining({ id: phone.client.currentSessionId, current: true }));

      const received = collect((onResult) => client.subscribe({ query: apollo.gql(SESSION_EVENTS) }).subscribe(onResult));
      const tablet = await device('tablet');
      await eventually(sawSession(received, tablet.client.currentSessionId), 3_000, 'the tablet’s SESSION_CREATED');
      expect(received.errors).toEqual([]);
    });

    it('renews an access token the service calls expired (the device’s clock is behind) and sends the query again', async () => {
      const { createApolloClient } = await loadRecipe('apollo-client');
      const deviceTime = app.clock.now().getTime();
      const phone = await device('phone', { now: () => deviceTime });
      const client = createApolloClient(phone.client, { webSocketImpl: WebSocket });

      app.clock.advance(16 * MINUTE); // the service's time only: the device still thinks its token is fresh
      const { data } = await client.query({ query: apollo.gql(ACTIVE_SESSIONS) });
      expect(data.activeSessions).toContainEqual(expect.objectContaining({ id: phone.client.currentSessionId }));
      expect(phone.client.refresher.refreshes).toBe(1);
    });

    it('reconnects its subscription with a renewed token after 4401, and after 4403 stops and signs the SDK out', async () => {
      const { createApolloClient } = await loadRecipe('apollo-client');
      const network = new WebSocketControl();
      const phone = await device('phone');
      const client = createApolloClient(phone.client, { webSocketImpl: network.WebSocket });
      const received = collect((onResult) => client.subscribe({ query: apollo.gql(SESSION_EVENTS) }).subscribe(onResult));
      await eventually(sawSession(received, phone.client.currentSessionId), 3_000, 'the phone’s own SESSION_CREATED');

      app.clock.advance(1 * MINUTE);
      await phone.client.me(); // the app is in use
      app.clock.advance(15 * MINUTE); // the socket's token expires; the session does not
      await eventually(() => network.closeCodes.includes(4401), 5_000, 'the service to close the expired socket with 4401');
      const tablet = await device('tablet');
      await eventually(sawSession(received, tablet.client.currentSessionId), 5_000, 'the tablet’s SESSION_CREATED after reconnecting');
      expect(phone.client.refresher.refreshes).toBe(1);
      expect(received.errors).toEqual([]);

      await tablet.client.revokeSession(phone.client.currentSessionId!);
      await eventually(() => network.closeCodes.includes(4403), 3_000, 'the service to close the ended session’s socket with 4403');
      await eventually(() => received.errors.length === 1, 2_000, 'the subscription to fail');
      expect(codesOf(received.errors[0])).toEqual(['SESSION_REVOKED']);
      expect(phone.signedOut).toEqual(['SESSION_REVOKED']);
      const socketsSoFar = network.closeCodes.length;
      await new Promise((resolve) => setTimeout(resolve, 1_000)); // longer than the first reconnection's wait
      expect(network.closeCodes.length + network.sockets.size).toBe(socketsSoFar);
    });
  });

  describe('the urql recipe', () => {
    let urql: typeof import('@urql/core');
    beforeAll(async () => {
      urql = await import('@urql/core');
    });

    it('queries with POST (urql’s default GET is refused as CSRF_BLOCKED) and subscribes over graphql-ws', async () => {
      const { createUrqlClient } = await loadRecipe('urql');
      const phone = await device('phone');
      const client = createUrqlClient(phone.client, { webSocketImpl: WebSocket });

      const result = await client.query(ACTIVE_SESSIONS, {}).toPromise();
      expect(result.error).toBeUndefined();
      expect(result.data.activeSessions).toContainEqual(expect.objectContaining({ id: phone.client.currentSessionId, current: true }));

      const byGet = new urql.Client({
        url: phone.client.graphqlUrl,
        exchanges: [urql.fetchExchange],
        fetchOptions: { headers: { authorization: `Bearer ${await phone.client.refresher.getAccessToken()}` } },
      });
      const refused = await byGet.query(ACTIVE_SESSIONS, {}).toPromise();
      expect(refused.error?.graphQLErrors[0]?.extensions.code).toBe('CSRF_BLOCKED');

      const received = collect((onResult) => client.subscription(SESSION_EVENTS, {}).subscribe(onResult));
      const tablet = await device('tablet');
      await eventually(sawSession(received, tablet.client.currentSessionId), 3_000, 'the tablet’s SESSION_CREATED');
      expect(received.errors).toEqual([]);

      // The end of the phone's session reaches urql as a structured error, not "[Network] undefined".
      await tablet.client.revokeSession(phone.client.currentSessionId!);
      // urql hands the last result over again when the stream completes: one error, maybe twice.
      await eventually(() => received.errors.length > 0, 3_000, 'the subscription to end with an error');
      expect(received.errors.map(codesOf)).toContainEqual(['SESSION_REVOKED']);
      expect(new Set(received.errors.map((error) => codesOf(error).join()))).toEqual(new Set(['SESSION_REVOKED']));
    });

    it('renews an access token the service calls expired (the device’s clock is behind) and sends the query again', async () => {
      const { createUrqlClient } = await loadRecipe('urql');
      const deviceTime = app.clock.now().getTime();
      const phone = await device('phone', { now: () => deviceTime });
      const client = createUrqlClient(phone.client, { webSocketImpl: WebSocket });
      expect((await client.query(ACTIVE_SESSIONS, {}).toPromise()).error).toBeUndefined();

      app.clock.advance(16 * MINUTE); // the service's time only: the device still thinks its token is fresh
      const result = await client.query(ACTIVE_SESSIONS, {}, { requestPolicy: 'network-only' }).toPromise();
      expect(result.error).toBeUndefined();
      expect(result.data.activeSessions).toContainEqual(expect.objectContaining({ id: phone.client.currentSessionId }));
      expect(phone.client.refresher.refreshes).toBe(1);
    });
  });
});
