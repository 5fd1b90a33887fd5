import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { buildSchema, findBreakingChanges, findDangerousChanges } from 'graphql';
import { renderSchema } from '../../src/graphql/render-schema.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const root = join(import.meta.dirname, '..', '..');
const contractFiles = ['contract.graphql', 'contract-additions.graphql'].map((name) => join(root, 'contract', name));
const schemaPath = join(root, 'schema.gql');

/**
 * Parts of the contract that later issues deliver, each with the reason. Nothing else may
 * break the contract; when an issue lands, its lines go.
 */
const NOT_YET_DELIVERED: Record<string, string> = {};

const readContract = () => buildSchema(contractFiles.map((path) => readFileSync(path, 'utf8')).join('\n'));

describe('the GraphQL contract', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(() => app.close());

  it('commits schema.gql exactly as the running app serves it (run npm run schema:generate)', () => {
    const served = renderSchema(app.tessera.app.get(GraphQLSchemaHost).schema);
    expect(readFileSync(schemaPath, 'utf8')).toBe(served);
  });

  it('breaks nothing in contract/ (the contract and its additions) beyond the allowlist', () => {
    const contract = readContract();
    const ours = buildSchema(readFileSync(schemaPath, 'utf8'));
    const breaking = findBreakingChanges(contract, ours).map((change) => change.description);
    expect(breaking.filter((description) => !(description in NOT_YET_DELIVERED))).toEqual([]);
    expect(findDangerousChanges(contract, ours).map((change) => change.description)).toEqual([]);
  });

  it('keeps no allowlist entry for something already delivered', () => {
    const contract = readContract();
    const ours = buildSchema(readFileSync(schemaPath, 'utf8'));
    const breaking = new Set(findBreakingChanges(contract, ours).map((change) => change.description));
    expect(Object.keys(NOT_YET_DELIVERED).filter((entry) => !breaking.has(entry))).toEqual([]);
  });
});
