import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import WebSocket from 'ws';
import { DataSource } from 'typeorm';
import { login, registerUser } from '../factories/session.factory.js';
import { ME, REVOKE_SESSION } from '../helpers/operations.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('the session check on the hot path', () => {
  let app: TestApp;
  beforeAll(async () => {
    // No sweep or log upkeep during the count: only the requests' own queries are counted.
    app = await startTestApp({ SESSION_SWEEP_INTERVAL: '1h' });
  });
  afterAll(() => app.close());

  it('serves 150 authenticated requests on one session with a handful of session reads', async () => {
    const user = await registerUser(app.graphql);
    const session = await login(app.graphql, user);
    await app.settled(); // the login's activity and alert checks are written by now
    const logger = app.tessera.app.get(DataSource).logger;
    const queries = jest.spyOn(logger, 'logQuery');
    const started = Date.now();
    let texts: string[];
    try {
      for (let i = 0; i < 150; i++) await app.graphql.data(ME, {}, session.tokens.accessToken);
      // Not the requests' own: the outbox relay's poll, once a second whatever the traffic, and the
      // key store's periodic re-read of the signing keys (reached when the machine is slow).
      const background = /session_outbox|signing_keys/;
      texts = queries.mock.calls.map(([query]) => String(query)).filter((query) => !background.test(query));
    } finally {
      queries.mockRestore();
    }
    const elapsedSeconds = (Date.now() - started) / 1000;
    const sessionReads = texts.filter((query) => /FROM sessions s JOIN users u/.test(query)).length;
    const sessionWrites = texts.filter((query) => /^\s*UPDATE sessions/.test(query)).length;
    // One read, then one more each time a 5-second cache entry runs out; `me` itself reads the user.
    expect(sessionReads).toBeGreaterThanOrEqual(1);
    expect(sessionReads).toBeLessThanOrEqual(1 + Math.ceil(elapsedSeconds / 5));
    expect(sessionWrites).toBeLessThanOrEqual(1);
    const userReads = texts.filter((query) => /FROM "users"/.test(query)).length;
    expect(userReads).toBe(150);
    expect(texts.length).toBe(userReads + sessionReads + sessionWrites);
    process.stdout.write(
      `150 authenticated requests in ${elapsedSeconds.toFixed(1)} s: ${texts.length} queries, ${sessionReads} session reads, ${sessionWrites} session writes\n`,
    );
  });

  it('refuses a token at once after its session is revoked, even while it is cached', async () => {
    const user = await registerUser(app.graphql);
    const phone = await login(app.graphql, user);
    const laptop = await login(app.graphql, user);
    await app.graphql.data(ME, {}, phone.tokens.accessToken);
    await app.graphql.data(REVOKE_SESSION, { id: phone.session.id }, laptop.tokens.accessToken);
    expect(await app.graphql.errorCode(ME, {}, phone.tokens.accessToken)).toBe('SESSION_REVOKED');
  });

  it('closes a WebSocket that sends a message over 100 KB (1009)', async () => {
    const socket = new WebSocket(app.graphql.url.replace(/^http/, 'ws'), 'graphql-transport-ws');
    await new Promise((resolve) => socket.once('open', resolve));
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { pad: 'x'.repeat(101 * 1024) } }));
    expect(await closed).toBe(1009);
  });
});
