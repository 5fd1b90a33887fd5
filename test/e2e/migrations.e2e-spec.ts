import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
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

  it('converts an activity table of an earlier version into day partitions, keeping every entry and its order', async () => {
    // Back to the version before the partitioning, whatever came after it.
    const undo = db.migrations.length - db.migrations.findIndex((migration) => migration.name === 'PartitionActivity1764800000000');
    for (let i = 0; i < undo; i++) await db.undoLastMigration({ transaction: 'each' });
    const kind = async () => (await db.query(`SELECT relkind FROM pg_class WHERE relname = 'session_activity'`))[0].relkind;
    expect(await kind()).toBe('r');
    const userId = randomUUID();
    await db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [userId, `${userId}@example.com`]);
    const now = Date.now();
    const entries = [now - 40 * 24 * 3_600_000, now - 3_600_000, now].map((at) => new Date(at));
    for (const at of entries) {
      await db.query(`INSERT INTO session_activity (id, user_id, type, occurred_at) VALUES ($1, $2, 'LOGOUT', $3)`, [
        randomUUID(),
        userId,
        at,
      ]);
    }
    const before = await db.query(`SELECT id, seq::text AS seq, occurred_at FROM session_activity WHERE user_id = $1 ORDER BY seq`, [
      userId,
    ]);

    await db.runMigrations({ transaction: 'each' });
    expect(await kind()).toBe('p');
    const after = await db.query(`SELECT id, seq::text AS seq, occurred_at FROM session_activity WHERE user_id = $1 ORDER BY seq`, [
      userId,
    ]);
    expect(after).toEqual(before);
    const [{ old }] = await db.query(`SELECT count(*)::int AS old FROM session_activity_before_partitioning WHERE user_id = $1`, [userId]);
    expect(old).toBeGreaterThanOrEqual(1);
    // New entries follow the old ones.
    await db.query(`INSERT INTO session_activity (id, user_id, type, occurred_at) VALUES ($1, $2, 'LOGOUT', now())`, [
      randomUUID(),
      userId,
    ]);
    const [{ last }] = await db.query(`SELECT max(seq)::text AS last FROM session_activity WHERE user_id = $1`, [userId]);
    expect(BigInt(last)).toBeGreaterThan(BigInt(before.at(-1).seq));
  });

  it('converts an outbox of an earlier version into day partitions, keeping every event, sent or not', async () => {
    // Held, the app's relay leaves the unsent events unsent, as they were before the migration.
    const relay = app.tessera.app.get(SessionEventRelay);
    relay.hold(true);
    const undo = db.migrations.length - db.migrations.findIndex((migration) => migration.name === 'PartitionOutbox1765200000000');
    for (let i = 0; i < undo; i++) await db.undoLastMigration({ transaction: 'each' });
    const kind = async () => (await db.query(`SELECT relkind FROM pg_class WHERE relname = 'session_outbox'`))[0].relkind;
    expect(await kind()).toBe('r');
    const userId = randomUUID();
    await db.query(`INSERT INTO users (id, email, password_hash) VALUES ($1, $2, 'x')`, [userId, `${userId}@example.com`]);
    const now = Date.now();
    const events = [
      { version: 1, at: new Date(now - 3 * 24 * 3_600_000), sent: new Date(now - 3 * 24 * 3_600_000) },
      { version: 2, at: new Date(now - 3_600_000), sent: null },
      { version: 3, at: new Date(now), sent: null },
    ];
    for (const event of events) {
      await db.query(
        `INSERT INTO session_outbox (user_id, version, type, payload, created_at, sent_at) VALUES ($1, $2, 'SESSION_CREATED', '{}', $3, $4)`,
        [userId, event.version, event.at, event.sent],
      );
    }
    const read = () =>
      db.query<unknown[]>(`SELECT version, created_at, sent_at FROM session_outbox WHERE user_id = $1 ORDER BY version`, [userId]);
    const before = await read();

    await db.runMigrations({ transaction: 'each' });
    expect(await kind()).toBe('p');
    expect(await read()).toEqual(before);
    const [{ old }] = await db.query(`SELECT count(*)::int AS old FROM session_outbox_before_partitioning WHERE user_id = $1`, [userId]);
    expect(old).toBeGreaterThanOrEqual(1);
    relay.hold(false);
  });

  it('reverts every migration to an empty schema and migrates up again', async () => {
    for (let i = 0; i < db.migrations.length; i++) await db.undoLastMigration({ transaction: 'each' });
    const [{ count }] = await db.query(`SELECT count(*)::int AS count FROM information_schema.tables WHERE table_name = 'sessions'`);
    expect(count).toBe(0);
    await db.runMigrations({ transaction: 'each' });
    expect(await db.showMigrations()).toBe(false);
  });
});
