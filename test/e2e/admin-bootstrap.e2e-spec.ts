import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { loadConfig } from '../../src/config/app-config.js';
import { login, PASSWORD, registerUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { createRestartableTestDatabase } from '../helpers/test-database.js';

const ADMIN_EMAIL = 'operator@example.com';
const ADMIN_PASSWORD = 'the operator’s own password';

/**
 * ADMIN_EMAIL at start-up, restarted on the same database as an operator would: an account that
 * already holds the address becomes ADMIN only if ADMIN_PASSWORD opens it.
 */
describe('the ADMIN_EMAIL bootstrap', () => {
  let database: { env: Record<string, string>; drop(): Promise<void> };
  const running: TesseraApp[] = [];
  const key = randomBytes(32).toString('base64');

  const start = async (env: Record<string, string> = {}) => {
    const tessera = await createTesseraApp(loadConfig({ ...database.env, DATA_ENCRYPTION_KEY: key, LOG_LEVEL: 'silent', ...env }));
    running.push(tessera);
    await tessera.app.listen(0, '127.0.0.1');
    const { port } = tessera.app.getHttpServer().address() as AddressInfo;
    return { tessera, graphql: new GraphQLTestClient(`http://127.0.0.1:${port}/graphql`) };
  };
  const stop = async () => {
    for (const tessera of running.splice(0)) await tessera.close();
  };

  beforeEach(async () => {
    database = await createRestartableTestDatabase();
  });
  afterEach(async () => {
    await stop();
    await database.drop();
  });

  it('refuses to start, naming the problem, when someone registered ADMIN_EMAIL first with another password', async () => {
    const { graphql } = await start();
    const squatter = await registerUser(graphql, ADMIN_EMAIL);
    await stop();

    await expect(start({ ADMIN_EMAIL, ADMIN_PASSWORD })).rejects.toThrow(
      'ADMIN_EMAIL names an account that already exists, and ADMIN_PASSWORD is not its password',
    );
    await stop();

    const again = await start();
    expect((await login(again.graphql, squatter)).user.roles).toEqual(['USER']);
  });

  it('makes an existing account ADMIN when ADMIN_PASSWORD is its password', async () => {
    const { graphql } = await start();
    const owner = await registerUser(graphql, ADMIN_EMAIL);
    await stop();

    const restarted = await start({ ADMIN_EMAIL, ADMIN_PASSWORD: PASSWORD });
    expect((await login(restarted.graphql, owner)).user.roles).toEqual(expect.arrayContaining(['USER', 'ADMIN']));
  });

  it('creates the account on a first start, and starts again with the same settings', async () => {
    await start({ ADMIN_EMAIL, ADMIN_PASSWORD });
    await stop();
    const restarted = await start({ ADMIN_EMAIL, ADMIN_PASSWORD });
    const admin = await login(restarted.graphql, { id: '', email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
    expect(admin.user.roles).toEqual(expect.arrayContaining(['USER', 'ADMIN']));
  });
});
