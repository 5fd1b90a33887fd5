import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { hashToken } from '../../src/common/opaque-token.js';
import { deviceInput, login, registerUser } from '../factories/session.factory.js';
import { GraphQLTestClient } from '../helpers/graphql-client.js';
import { ACTIVITY, ALERTS, CREATE_SESSION, LOGOUT, REVOKE_SESSION, TRUST_DEVICE, UNTRUST_DEVICE } from '../helpers/operations.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { EventListener } from '../helpers/ws-client.js';
import { createRestartableTestDatabase, testDatabaseKind, type TestDatabase } from '../helpers/test-database.js';

interface Chain {
  readonly sessionId: string;
  /** Every refresh token the service acknowledged (answered with 200), in order. */
  readonly acknowledged: string[];
}

describe('kill -9 in the middle of a refresh load', () => {
  const kind = testDatabaseKind();
  let database: TestDatabase | undefined;
  let dataDir: string | undefined;
  let service: ServiceProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    const mainJs = builtService();
    const key = randomBytes(32).toString('base64');
    // On disk, seeded from the run's initialised PGlite when embedded: the kill -9 must find it there.
    database = await createRestartableTestDatabase();
    env = { ...database.env, DATA_ENCRYPTION_KEY: key };
    dataDir = env.DATA_DIR;
    service = new ServiceProcess(mainJs, { ...env, LOGIN_MAX_FAILURES: '1000' }, await freePort());
    await service.start();
  }, 120_000);

  afterAll(async () => {
    await service?.stop();
    await database?.drop();
  });

  it('keeps the record of every change answered before a kill -9: its activity entry, its alert and its event', async () => {
    // First of the two: it leaves the service running for the next, which stops it to read the database.
    const graphql = new GraphQLTestClient(`${service.baseUrl}/graphql`);
    const user = await registerUser(graphql);
    const laptop = await login(graphql, user);
    const phones = await Promise.all(Array.from({ length: 4 }, () => login(graphql, user)));
    // A burst of changes, all answered, and the process killed the moment the last answer is in.
    await Promise.all([
      graphql.data(LOGOUT, {}, phones[0].tokens.accessToken),
      graphql.data(LOGOUT, {}, phones[1].tokens.accessToken),
      graphql.data(REVOKE_SESSION, { id: phones[2].session.id }, laptop.tokens.accessToken),
      graphql.data(TRUST_DEVICE, { id: phones[3].session.device.id }, laptop.tokens.accessToken),
      graphql.request(CREATE_SESSION, { input: { email: user.email, password: 'not the password', device: deviceInput() } }),
    ]);
    await graphql.data(UNTRUST_DEVICE, { id: phones[3].session.device.id }, laptop.tokens.accessToken);
    await service.kill();

    await service.start();
    const activity = (await graphql.data(ACTIVITY, { first: 100 }, laptop.tokens.accessToken)).sessionActivity.edges.map(
      (edge: { node: { type: string } }) => edge.node.type,
    );
    const count = (type: string) => activity.filter((entry: string) => entry === type).length;
    expect([count('SESSION_CREATED'), count('LOGOUT'), count('SESSION_REVOKED'), count('LOGIN_FAILED')]).toEqual([5, 2, 2, 1]);
    expect([count('DEVICE_TRUSTED'), count('DEVICE_UNTRUSTED'), count('DEVICE_REGISTERED')]).toEqual([1, 1, 5]);
    const alerts = (await graphql.data(ALERTS, {}, laptop.tokens.accessToken)).sessionAlerts;
    expect(alerts.map((alert: { type: string }) => alert.type)).toEqual(['NEW_DEVICE', 'NEW_DEVICE', 'NEW_DEVICE', 'NEW_DEVICE']);
    expect(count('ALERT_RAISED')).toBe(4);

    // Every change a device sees has its event, numbered without a gap, for a device asking from the start.
    const changes = 5 + 2 + 2 + 1 + 1 + 4;
    const listener = new EventListener(graphql.url, laptop.tokens.accessToken, `subscription { sessionEvents(since: 0) { type version } }`);
    try {
      await listener.subscribe();
      await listener.until(() => listener.events.length >= changes, 5_000);
      expect(listener.events.map((event) => event.version)).toEqual(Array.from({ length: changes }, (_, i) => i + 1));
    } finally {
      await listener.dispose();
    }
  });

  it('keeps every acknowledged successor working and never two successors of one token', async () => {
    const graphql = new GraphQLTestClient(`${service.baseUrl}/graphql`);
    const user = await registerUser(graphql);
    const chains: Chain[] = [];
    for (let i = 0; i < 6; i++) {
      const { tokens, session } = await login(graphql, user);
      chains.push({ sessionId: session.id, acknowledged: [tokens.refreshToken] });
    }

    let running = true;
    const drive = async (chain: Chain) => {
      while (running) {
        try {
          const result = await graphql.request(
            `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { tokens { refreshToken } } }`,
            { input: { refreshToken: chain.acknowledged.at(-1) } },
          );
          if (result.data) chain.acknowledged.push(result.data.refreshSession.tokens.refreshToken);
          else throw new Error(JSON.stringify(result.errors));
        } catch (error) {
          if (running) throw error;
          return; // the service died under this request: its answer never came
        }
      }
    };
    const load = Promise.all(chains.map(drive));
    // Kill once the load is well under way, however fast this machine is.
    const acknowledged = () => chains.reduce((sum, chain) => sum + chain.acknowledged.length - 1, 0);
    const loadStarted = Date.now();
    while (acknowledged() < 30 && Date.now() - loadStarted < 20_000) await new Promise((resolve) => setTimeout(resolve, 20));
    running = false;
    await service.kill();
    await load;
    const refreshes = chains.reduce((sum, chain) => sum + chain.acknowledged.length - 1, 0);
    expect(refreshes).toBeGreaterThan(20);

    await service.start();
    for (const chain of chains) {
      // The last acknowledged token is current, or the parent of a successor whose answer was lost
      // with the process; either way the service answers it.
      const last = chain.acknowledged.at(-1)!;
      const result = await graphql.request(
        `mutation($input: RefreshSessionInput!) { refreshSession(input: $input) { tokens { refreshToken } session { id status } } }`,
        { input: { refreshToken: last } },
      );
      expect(result.errors).toBeUndefined();
      expect(result.data!.refreshSession.session).toEqual({ id: chain.sessionId, status: 'ACTIVE' });
      chain.acknowledged.push(result.data!.refreshSession.tokens.refreshToken);
    }
    await service.stop();

    // Each acknowledged token is the next generation of its session, and the session row holds the
    // last one (the answer after the restart) and its parent: one successor per token, none lost.
    const client = new pg.Client({ connectionString: kind === 'postgres' ? env.DATABASE_URL : await embeddedUrl() });
    await client.connect();
    try {
      for (const chain of chains) {
        expect(chain.acknowledged.map((token) => token.split('.').slice(0, 2).join('.'))).toEqual(
          chain.acknowledged.map((_, generation) => `tsr_${chain.sessionId}.${generation}`),
        );
        const { rows } = await client.query(
          `SELECT refresh_generation AS generation, refresh_token_hash AS current, refresh_parent_hash AS parent,
                  (SELECT count(*)::int FROM refresh_tokens WHERE session_id = $1) AS "tokenRows"
             FROM sessions WHERE id = $1`,
          [chain.sessionId],
        );
        expect(rows[0]).toEqual({
          generation: chain.acknowledged.length - 1,
          current: hashToken(chain.acknowledged.at(-1)!),
          parent: hashToken(chain.acknowledged.at(-2)!),
          tokenRows: 0,
        });
      }
    } finally {
      await client.end();
      await closeEmbedded?.();
    }
  });

  let closeEmbedded: (() => Promise<void>) | undefined;
  async function embeddedUrl(): Promise<string> {
    const { startEmbeddedPostgres } = await import('../../src/database/embedded-postgres.js');
    const embedded = await startEmbeddedPostgres(dataDir!);
    closeEmbedded = () => embedded.stop();
    return embedded.url;
  }
});
