import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createClient } from 'graphql-ws';
import { decodeJwt } from 'jose';
import WebSocket from 'ws';
import { EncryptedFileTokenStore, FileDeviceKey } from '../../client/src/node.js';
import {
  graphqlWsClientOptions,
  isReauthenticationRequired,
  jwkThumbprint,
  type DeviceKey,
  type DeviceKeySigningContext,
  type SessionClient,
} from '../../client/src/index.js';
import { registerUser, type TestUser } from '../factories/session.factory.js';
import { clientFor, eventually, sdkDevice, syncFor } from '../helpers/client-sdk.js';
import { launchHeadlessChromium } from '../helpers/headless-chromium.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { checkDpopProof } from '../../src/modules/token/domain/dpop-proof.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const REPOSITORY = resolve(import.meta.dirname, '..', '..');
const REFRESH = 'mutation Refresh($input: RefreshSessionInput!) { refreshSession(input: $input) { session { id } } }';

/** A file-backed key that also records what it was asked to sign for: how often the user would see Face ID. */
class RecordingKey implements DeviceKey {
  readonly contexts: DeviceKeySigningContext[] = [];
  constructor(readonly file: FileDeviceKey) {}
  publicJwk() {
    return this.file.publicJwk();
  }
  sign(data: Uint8Array, context: DeviceKeySigningContext) {
    this.contexts.push(context);
    return this.file.sign(data);
  }
}

/**
 * The SDK with a device key (DPoP, RFC 9449) against the real service: the Node file-backed key,
 * bound logins, refreshes and step-up that meet the service's nonce challenges, and the socket.
 * Access tokens live 15 minutes and server nonces 5 (accepted for 10): the app's clock is the
 * service's ManualClock, so moving it 13 minutes makes the SDK's last nonce stale as well.
 */
describe('client SDK: device-bound sessions', () => {
  let app: TestApp;
  let user: TestUser;
  let keys: string;
  const clients: SessionClient[] = [];

  const boundClient = (keyFile = join(keys, `${randomBytes(6).toString('hex')}.jwk`), options: Parameters<typeof clientFor>[1] = {}) => {
    const deviceKey = new RecordingKey(new FileDeviceKey({ path: keyFile }));
    const handle = clientFor(app, { deviceKey, ...options });
    clients.push(handle.client);
    return { ...handle, deviceKey, keyFile };
  };
  const logIn = (client: SessionClient, name = 'bound laptop') =>
    client.login({ email: user.email, password: user.password, device: sdkDevice({ type: 'DESKTOP', name }) });
  const accessTokenClaims = async (client: SessionClient) => decodeJwt(await client.refresher.getAccessToken({ activity: false }));

  beforeAll(async () => {
    app = await startTestApp({ ACCESS_TOKEN_TTL: '15m', SESSION_IDLE_TIMEOUT: '30m', DPOP_NONCE_PERIOD: '5m' });
    user = await registerUser(app.graphql);
    keys = await mkdtemp(join(tmpdir(), 'tessera-device-keys-'));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await app?.close();
    await rm(keys, { recursive: true, force: true });
  });

  it('binds the login to a key it makes on first use in a 0600 file: deviceBound, tokens naming the key', async () => {
    const { client, deviceKey, keyFile, recorder } = boundClient();

    const { session } = await logIn(client);

    expect(session.deviceBound).toBe(true);
    expect(client.deviceBound).toBe(true);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const thumbprint = await jwkThumbprint(await deviceKey.publicJwk());
    expect(await accessTokenClaims(client)).toMatchObject({ cnf: { jkt: thumbprint }, amr: ['pwd'] });
    // The first proof had no nonce and was challenged; the app saw one login.
    expect(recorder.count('TesseraLogin')).toBe(2);
    expect((await client.activeSessions()).find((listed) => listed.current)).toMatchObject({ id: session.id, deviceBound: true });
  });

  it('refreshes across a nonce challenge without the app noticing, and raises no alert about it', async () => {
    const { client, recorder, signedOut } = boundClient();
    await logIn(client);

    app.clock.advance(13 * MINUTE); // the token is due and the nonce the SDK holds has gone stale
    await expect(client.me()).resolves.toMatchObject({ email: user.email });

    expect(client.refresher.refreshes).toBe(1);
    expect(recorder.count('TesseraRefresh')).toBe(2); // challenged once, then accepted
    expect(signedOut).toEqual([]);
    await app.settled();
    const alerts = await client.alerts();
    expect(alerts.filter((alert) => alert.sessionId === client.currentSessionId).map((alert) => alert.type)).not.toContain(
      'REFRESH_WITHOUT_DEVICE_KEY',
    );
  });

  it('refuses the copied refresh token without the key (INVALID_DPOP_PROOF) while the SDK keeps working', async () => {
    const { client, store, signedOut } = boundClient();
    await logIn(client);
    const copied = (await store.read())!.refreshToken;

    const stolen = await app.graphql.request(REFRESH, { input: { refreshToken: copied } });

    expect(stolen.errors?.[0]?.extensions?.code).toBe('INVALID_DPOP_PROOF');
    app.clock.advance(13 * MINUTE);
    await expect(client.activeSessions()).resolves.toContainEqual(expect.objectContaining({ id: client.currentSessionId }));
    expect(client.refresher.refreshes).toBe(1);
    expect((await store.read())!.refreshToken).not.toBe(copied);
    expect(signedOut).toEqual([]);
    await app.settled();
    expect(await client.alerts()).toContainEqual(
      expect.objectContaining({ type: 'REFRESH_WITHOUT_DEVICE_KEY', severity: 'CRITICAL', sessionId: client.currentSessionId }),
    );
  });

  it('presents the bound token as DPoP with a proof on GraphQL, on fetch() to a REST route and on graphql-ws', async () => {
    const laptop = boundClient();
    await logIn(laptop.client, 'laptop');

    expect((await laptop.client.me()).id).toBe(user.id);
    const rest = await laptop.client.fetch(`${app.baseUrl}/api/auth/session/active`);
    expect(rest.status).toBe(200);

    const socket = createClient({ ...graphqlWsClientOptions(laptop.client, { webSocketImpl: WebSocket }), lazy: true });
    try {
      const me = await new Promise<unknown>((resolve, reject) => {
        socket.subscribe<{ me: { id: string } }>(
          { query: '{ me { id } }' },
          { next: (result) => resolve(result.data?.me.id), error: reject, complete: () => undefined },
        );
      });
      expect(me).toBe(user.id);
    } finally {
      await socket.dispose();
    }

    const sync = syncFor(laptop.client);
    try {
      await sync.start();
      const phone = boundClient();
      const { session } = await logIn(phone.client, 'phone');
      await eventually(() => sync.sessions.some((listed) => listed.id === session.id), 3_000, 'the phone’s session on the laptop');
      expect(sync.sessions.find((listed) => listed.id === session.id)?.deviceBound).toBe(true);
    } finally {
      await sync.stop();
    }
    expect(laptop.signedOut).toEqual([]);
  });

  it('steps up with the device key and no password: one proof the user unlocks, authenticatedAt moves, amr hwk', async () => {
    const { client, deviceKey } = boundClient();
    const { session } = await logIn(client);
    app.clock.advance(11 * MINUTE); // past REAUTHENTICATION_MAX_AGE, and past the nonce the SDK holds
    const refused = await client.trustDevice(session.device.id).catch((error: unknown) => error);
    expect(isReauthenticationRequired(refused)).toBe(true);
    deviceKey.contexts.length = 0;

    const stepped = await client.reauthenticateWithDeviceKey();

    expect(Date.parse(stepped.authenticatedAt)).toBe(app.clock.now().getTime());
    expect(Date.parse(stepped.authenticatedAt)).toBeGreaterThan(Date.parse(session.authenticatedAt));
    expect(deviceKey.contexts.filter((context) => context.stepUp)).toHaveLength(1);
    expect(await accessTokenClaims(client)).toMatchObject({ amr: ['hwk'] });
    await expect(client.trustDevice(session.device.id)).resolves.toMatchObject({ trusted: true });
  });

  it('keeps the key across a restart: the same file, the same thumbprint, and the stored bound session goes on', async () => {
    const keyFile = join(keys, 'restart', 'device-key.jwk');
    const storeOptions = { path: join(keys, 'restart', 'session.bin'), key: randomBytes(32) };
    const first = boundClient(keyFile, { store: new EncryptedFileTokenStore(storeOptions) });
    await logIn(first.client);
    const thumbprint = await jwkThumbprint(await first.deviceKey.publicJwk());
    first.client.close();
    const written = await readFile(keyFile, 'utf8');

    const restarted = boundClient(keyFile, { store: new EncryptedFileTokenStore(storeOptions) });
    expect(await jwkThumbprint(await restarted.deviceKey.publicJwk())).toBe(thumbprint);
    expect(await restarted.client.restore()).toBe(true);

    expect(restarted.client.currentSessionId).toBe(first.client.currentSessionId);
    expect(restarted.client.deviceBound).toBe(true);
    expect(await accessTokenClaims(restarted.client)).toMatchObject({ cnf: { jkt: thumbprint } });
    expect(await readFile(keyFile, 'utf8')).toBe(written);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
  });
});

/** What the page below answers about its device key; the tests' tsconfig has no DOM types. */
interface BrowserKeyReport {
  readonly thumbprint: string;
  readonly extractable: boolean;
  readonly exportRefused: boolean;
  readonly proof: string;
}

describe('client SDK: the browser’s device key', () => {
  it('keeps a non-extractable P-256 key in IndexedDB that survives a reload, with proofs the service accepts', async () => {
    // The SDK's browser entry, bundled as a web app would: nothing in it may need Node.
    const { build } = await import('esbuild');
    const bundled = await build({
      stdin: { contents: "export * from './client/src/index.ts';", resolveDir: REPOSITORY, loader: 'ts' },
      bundle: true,
      format: 'esm',
      platform: 'browser',
      write: false,
      logLevel: 'silent',
    });
    // http://127.0.0.1 is a secure context, where browsers offer WebCrypto.
    const server: Server = createServer((request, response) => {
      if (request.url === '/sdk.js') {
        response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundled.outputFiles[0].text);
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>device key</title>
<script type="module">
  import { IndexedDbDeviceKey, createDpopProof, jwkThumbprint } from '/sdk.js';
  window.reportDeviceKey = async (url) => {
    const key = new IndexedDbDeviceKey();
    const { privateKey } = await key.keyPair();
    const exportRefused = await crypto.subtle.exportKey('jwk', privateKey).then(() => false, () => true);
    const proof = await createDpopProof(key, { method: 'POST', url, now: Date.now() });
    return { thumbprint: await jwkThumbprint(await key.publicJwk()), extractable: privateKey.extractable, exportRefused, proof };
  };
</script>`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const chromium = await launchHeadlessChromium();
    try {
      const { page, problems } = await chromium.newPage();
      const report = async (): Promise<BrowserKeyReport> => {
        await page.goto(`${origin}/`);
        await page.waitForFunction('typeof window.reportDeviceKey === "function"');
        return page.evaluate<BrowserKeyReport>('window.reportDeviceKey("https://auth.example.com/graphql?ignored=1")');
      };

      const first = await report();
      await page.reload();
      const afterReload = await report();

      expect(first).toMatchObject({ extractable: false, exportRefused: true });
      expect(afterReload.thumbprint).toBe(first.thumbprint);
      // The service's own check of a proof: signature, typ, htm, htu (without the query), iat, jti.
      const checked = await checkDpopProof(
        afterReload.proof,
        { method: 'POST', url: 'https://auth.example.com/graphql' },
        new Date(),
        60_000,
      );
      expect(checked.thumbprint).toBe(first.thumbprint);
      expect(problems).toEqual([]);
    } finally {
      await chromium.close();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
