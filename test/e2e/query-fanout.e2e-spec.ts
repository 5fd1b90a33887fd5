import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { getIntrospectionQuery } from 'graphql';
import { GraphQLTestClient, type GraphQLResponse } from '../helpers/graphql-client.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database.js';

/**
 * The security review's document: `levels` fragments, each spreading the next ten times. About
 * 1 KB and 230 tokens, inside the size and token limits; ten levels once kept the service busy
 * for more than eight minutes, nine levels for 29 seconds.
 */
function reviewFanOut(levels: number): string {
  const fragments = Array.from({ length: levels - 1 }, (_, i) => `fragment F${i} on Query { ${`...F${i + 1} `.repeat(10)}}`);
  return `query { ...F0 } ${fragments.join(' ')} fragment F${levels - 1} on Query { __typename }`;
}

/** Long enough for any healthy answer; short enough that a service stuck in validation fails the test instead of hanging it. */
const GIVE_UP_MS = 5_000;

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; milliseconds: number }> {
  const started = performance.now();
  const result = await work();
  return { result, milliseconds: performance.now() - started };
}

const pause = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));

/**
 * The service runs as a process of its own: in this process, a validation that blocked the event
 * loop would also stop the test's clock and its health probes, and prove nothing.
 */
describe('fragment fan-out and introspection depth', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let graphql: GraphQLTestClient;

  beforeAll(async () => {
    database = await createTestDatabase();
    const env = { ...database.env, DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'), NODE_ENV: 'development' };
    service = new ServiceProcess(builtService(), env, await freePort());
    await service.start();
    graphql = new GraphQLTestClient(`${service.baseUrl}/graphql`);
  }, 120_000);

  afterAll(async () => {
    // SIGKILL: a service stuck in validation would never get to its SIGTERM handler.
    await service?.kill();
    await database?.drop();
  });

  const sendAttack = async (query: string): Promise<GraphQLResponse> => {
    const response = await fetch(graphql.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query }),
      signal: AbortSignal.timeout(GIVE_UP_MS),
    });
    const body = (await response.json()) as Omit<GraphQLResponse, 'status'>;
    return { status: response.status, data: body.data, errors: body.errors };
  };

  const probeHealth = () => fetch(`${service.baseUrl}/health/live`, { signal: AbortSignal.timeout(GIVE_UP_MS) });

  it.each([9, 10])('answers a %i-level fragment fan-out within a second, and /health/live keeps answering meanwhile', async (levels) => {
    const attack = timed(() => sendAttack(reviewFanOut(levels)));
    let attackAnswered = false;
    attack.then(
      () => (attackAnswered = true),
      () => (attackAnswered = true),
    );

    // Probes until the attack is answered: the first may slip in before validation starts, the next ones would wait behind it.
    const healthLatencies: number[] = [];
    do {
      const probe = await timed(probeHealth);
      expect(probe.result.status).toBe(200);
      healthLatencies.push(probe.milliseconds);
      if (!attackAnswered) await pause(25);
    } while (!attackAnswered);

    const refusal = await attack;
    expect(Math.max(...healthLatencies)).toBeLessThan(1_000);
    expect(refusal.milliseconds).toBeLessThan(1_000);
    expect(refusal.result.status).toBeLessThan(500);
    expect(refusal.result.errors![0]).toMatchObject({
      message: `The document has ${(levels - 1) * 10 + 1} fragment spreads; at most 50 are allowed.`,
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });

  it('still answers the standard introspection query in development, with every option clients turn on', async () => {
    const everyOption = getIntrospectionQuery({
      descriptions: true,
      specifiedByUrl: true,
      directiveIsRepeatable: true,
      schemaDescription: true,
      inputValueDeprecation: true,
      oneOf: true,
    });
    for (const query of [getIntrospectionQuery(), everyOption]) {
      const result = await graphql.request(query);
      expect(result.errors).toBeUndefined();
      expect(result.data!.__schema.queryType.name).toBe('Query');
    }
  });

  it('refuses a 30-level ofType chain', async () => {
    const chain = `{ __type(name: "Query") { ${'ofType { '.repeat(30)}name${' }'.repeat(30)} } }`;
    const result = await graphql.request(chain);
    expect(result.status).toBeLessThan(500);
    expect(result.errors![0]).toMatchObject({
      message: 'The query nests ofType 30 levels deep; at most 9 are allowed.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
  });
});
