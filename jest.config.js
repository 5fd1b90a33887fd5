/**
 * Jest in native ESM mode (NestJS 12 ships ES modules only).
 * Projects: unit specs beside the code; the same end-to-end suite run once on the embedded
 * database and once on PostgreSQL (npm test); and the system tier (npm run test:system), on both
 * databases too: suites that start the compiled service or its scripts as processes of their own
 * (kill -9, restarts, file permissions, start-up refusals, keys:rotate, the administrator made at
 * start-up) or pack the SDK, minutes
 * of process starts that .ci/run runs after npm test.
 */
const shared = {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: false }],
  },
};

const e2e = {
  ...shared,
  testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts'],
};

/**
 * Suites about the HTTP, GraphQL and socket layers and the signing keys: the database under them
 * only stores what they write, through the same SQL on both. They run once, on PostgreSQL, when
 * both databases are tested (npm test), and on the embedded database when it is the only one
 * selected (npm run test:embedded). Everything that depends on the database runs on both.
 */
const ONE_DATABASE = [
  'admin-bootstrap',
  'errors-and-limits',
  'fuzz',
  'http-conventions',
  'deployment',
  'graphiql',
  'login-limits',
  'metrics-hygiene',
  'oauth',
  'oauth-metadata',
  'openapi',
  'operators',
  'query-fanout',
  'registration',
  'rest',
  'session-cache',
  'signing-key-integrity',
  'signing-keys',
  'socket-hardening',
  'token-response-headers',
  'users-and-admins',
];

/** The system tier: not in npm test, in npm run test:system and in .ci/run. */
const SYSTEM = [
  'admin-bootstrap',
  'crash',
  'embedded-privacy',
  'persistence',
  'startup',
  'client-sdk-package',
  'signing-key-integrity',
  // How other tools meet the service: the SDK's device key, OAuth discovery, OpenAPI, GraphiQL,
  // promtool and the deployment files. npm test stays within its five minutes without them.
  'client-sdk-device-key',
  'oauth-metadata',
  'openapi',
  'graphiql',
  'metrics-hygiene',
  'deployment',
];
const systemFiles = SYSTEM.map((name) => `/test/e2e/${name}\\.(embedded-only\\.|postgres-only\\.)?e2e-spec\\.ts$`);

const system = {
  ...shared,
  testRegex: systemFiles,
};

function selectedProjects() {
  const at = process.argv.indexOf('--selectProjects');
  if (at < 0) return undefined;
  const names = [];
  for (const arg of process.argv.slice(at + 1)) {
    if (arg.startsWith('-')) break;
    names.push(arg);
  }
  return names;
}
const postgresRuns = selectedProjects()?.includes('e2e-postgres') ?? true;
const oneDatabaseOnEmbedded = postgresRuns ? ONE_DATABASE.map((name) => `/test/e2e/${name}\\.e2e-spec\\.ts$`) : [];

export default {
  // Three on two cores: an end-to-end file spends part of its time waiting on PostgreSQL, sockets and child processes.
  maxWorkers: 3,
  // Once for the whole run: the kill -9 tests start the compiled service as a process.
  globalSetup: '<rootDir>/test/setup/build-service.js',
  // End-to-end files boot a whole service on a database of their own.
  testTimeout: 60_000,
  projects: [
    { ...shared, displayName: 'unit', testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/bench/**/*.spec.ts'] },
    {
      ...e2e,
      displayName: 'e2e-embedded',
      globals: { TESSERA_TEST_DATABASE: 'embedded' },
      globalSetup: '<rootDir>/test/setup/pglite-snapshot.js',
      testPathIgnorePatterns: ['/node_modules/', 'postgres-only', ...oneDatabaseOnEmbedded, ...systemFiles],
    },
    {
      ...e2e,
      displayName: 'e2e-postgres',
      globals: { TESSERA_TEST_DATABASE: 'postgres' },
      globalSetup: '<rootDir>/test/setup/postgres-global-setup.js',
      testPathIgnorePatterns: ['/node_modules/', 'embedded-only', ...systemFiles],
    },
    {
      ...system,
      displayName: 'system-embedded',
      globals: { TESSERA_TEST_DATABASE: 'embedded' },
      globalSetup: '<rootDir>/test/setup/pglite-snapshot.js',
      testPathIgnorePatterns: ['/node_modules/', 'postgres-only', ...ONE_DATABASE.map((name) => `/test/e2e/${name}\\.e2e-spec\\.ts$`)],
    },
    {
      ...system,
      displayName: 'system-postgres',
      globals: { TESSERA_TEST_DATABASE: 'postgres' },
      globalSetup: '<rootDir>/test/setup/postgres-global-setup.js',
      testPathIgnorePatterns: ['/node_modules/', 'embedded-only'],
    },
  ],
};
