import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
import { login, registerUser } from '../factories/session.factory.js';
import { dayPartitionName } from '../../src/database/day-partitions.js';
import { DAY } from '../helpers/partitions.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

/**
 * A day's partition is dropped under a lock, which another connection may hold for a while: only
 * PostgreSQL has other connections (the embedded database has one).
 */
describe('outbox partitions under concurrent use', () => {
  let app: TestApp;
  let db: DataSource;
  let relay: SessionEventRelay;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RETENTION: '1d', ACCESS_TOKEN_TTL: '60m' });
    db = app.tessera.app.get(DataSource);
    relay = app.tessera.app.get(SessionEventRelay);
  });
  afterAll(async () => {
    relay.hold(false);
    await app.close();
  });

  it('leaves a day still in use to the next pass instead of failing, and drops it once it is free', async () => {
    const user = await registerUser(app.graphql);
    await login(app.graphql, user);
    await relay.flush();
    const busyDay = dayPartitionName('session_outbox', app.clock.now());
    // The test runs the upkeep itself.
    relay.hold(true);
    app.clock.advance(3 * DAY);

    // A long read of that day on another connection, as a report might make.
    const reader = db.createQueryRunner();
    await reader.startTransaction();
    await reader.query(`SELECT count(*) FROM ${busyDay}`);
    try {
      const upkeep = await relay.maintain();
      expect(upkeep.dropped).not.toContain(busyDay);
      expect(upkeep.created).toBeGreaterThan(0);
    } finally {
      await reader.rollbackTransaction();
      await reader.release();
    }
    expect((await relay.maintain()).dropped).toContain(busyDay);
  });
});
