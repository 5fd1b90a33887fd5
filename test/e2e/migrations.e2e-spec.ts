import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

describe('migrations', () => {
  let app: TestApp;
  let db: DataSource;
  beforeAll(async () => {
    app = await startTestApp();
    db = app.tessera.app.get(DataSource);
  });
  afterAll(() => app.close());

  it('ran at start-up, and the entities describe exactly the migrated schema (migration:generate finds nothing)', async () => {
    expect(await db.showMigrations()).toBe(false);
    const pending = await db.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('reverts every migration to an empty schema and migrates up again', async () => {
    for (let i = 0; i < db.migrations.length; i++) await db.undoLastMigration({ transaction: 'each' });
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM information_schema.tables WHERE table_name = 'sessions'`);
    expect(count).toBe(0);
    await db.runMigrations({ transaction: 'each' });
    expect(await db.showMigrations()).toBe(false);
  });
});
