import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createTesseraApp, type TesseraApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/app-config.js';
import { createTestDatabase } from './test-database.js';
import { GraphQLTestClient } from './graphql-client.js';
import { ManualClock } from './manual-clock.js';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
import type { PasswordHashCost } from '../../src/kernel/password-hash-cost.js';

/**
 * Still argon2id, at a cost a hundredth of OWASP's: the suites register and sign in thousands
 * of times, which at the service's own cost took a tenth of npm test's CPU. The service's cost
 * has tests of its own (users-and-admins, the unit spec of PasswordHasher).
 */
export const TEST_PASSWORD_HASH_COST: PasswordHashCost = { memoryCost: 1024, timeCost: 1, parallelism: 1 };

export interface TestApp {
  readonly baseUrl: string;
  readonly clock: ManualClock;
  readonly config: AppConfig;
  readonly tessera: TesseraApp;
  readonly graphql: GraphQLTestClient;
  /** Resolves once the activity log and the alert rules have seen every event so far. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

/**
 * The whole service on a real HTTP port, on this project's database, with a clock the test
 * moves. `env` is what an operator would set; the encryption key is fresh per app.
 */
export async function startTestApp(
  env: Record<string, string> = {},
  options: { logDestination?: NodeJS.WritableStream; passwordHashCost?: PasswordHashCost } = {},
): Promise<TestApp> {
  const database = await createTestDatabase();
  const config = loadConfig({
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    LOG_LEVEL: 'silent',
    // Every test registers its users from 127.0.0.1; the registration limit has tests of its own.
    REGISTRATION_RATE_LIMIT: '100000',
    ...database.env,
    ...env,
  });
  const clock = new ManualClock();
  const tessera = await createTesseraApp(config, {
    clock,
    logDestination: options.logDestination,
    embeddedSnapshot: database.embeddedSnapshot,
    passwordHashCost: options.passwordHashCost ?? TEST_PASSWORD_HASH_COST,
  });
  await tessera.app.listen(0, '127.0.0.1');
  const { port } = tessera.app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    clock,
    config,
    tessera,
    graphql: new GraphQLTestClient(`${baseUrl}/graphql`),
    settled: () => tessera.app.get(SessionEventRelay).flush(),
    async close() {
      await tessera.close();
      await database.drop();
    },
  };
}
