/**
 * Jest in native ESM mode (NestJS 12 ships only ES modules; see STACK.md).
 * Three projects: unit specs beside the code, and the same end-to-end suite run once on the
 * embedded database and once on PostgreSQL.
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

export default {
  maxWorkers: 2,
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
      testPathIgnorePatterns: ['/node_modules/', 'postgres-only'],
    },
    {
      ...e2e,
      displayName: 'e2e-postgres',
      globals: { TESSERA_TEST_DATABASE: 'postgres' },
      globalSetup: '<rootDir>/test/setup/postgres-global-setup.js',
      testPathIgnorePatterns: ['/node_modules/', 'embedded-only'],
    },
  ],
};
