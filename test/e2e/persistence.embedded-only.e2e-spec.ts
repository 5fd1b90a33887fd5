import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { login, refresh, registerUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { ME } from '../helpers/operations.js';

/** `npm start` with no configuration: PGlite under DATA_DIR, the encryption key generated beside it. */
async function startOn(dataDir: string): Promise<{ tessera: TesseraApp; graphql: GraphQLTestClient }> {
  const tessera = await createTesseraApp(loadConfig({ DATA_DIR: dataDir, LOG_LEVEL: 'silent' }));
  await tessera.app.listen(0, '127.0.0.1');
  const { port } = tessera.app.getHttpServer().address() as AddressInfo;
  return { tessera, graphql: new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`) };
}

describe('the embedded database', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tessera-data-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('keeps users, sessions and signing keys across a restart', async () => {
    const first = await startOn(dataDir);
    const user = await registerUser(first.graphql);
    const session = await login(first.graphql, user);
    await first.tessera.close();

    const keyFile = statSync(join(dataDir, 'data-encryption.key'));
    expect(keyFile.mode & 0o077).toBe(0);

    const second = await startOn(dataDir);
    try {
      // Same signing key and same session: the access token from before the restart still works.
      await expect(second.graphql.data(ME, {}, session.tokens.accessToken)).resolves.toMatchObject({ me: { id: user.id } });
      const renewed = await refresh(second.graphql, session.tokens.refreshToken);
      expect(renewed.session.id).toBe(session.session.id);
    } finally {
      await second.tessera.close();
    }
  });
});
