import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SessionEventRelay } from '../../src/modules/realtime/domain/session-event-relay.js';
import { login, registerUser } from '../factories/session.factory.js';
import { dayPartitionName } from '../../src/database/day-partitions.js';
import { MINUTE } from '../helpers/manual-clock.js';
import { DAY, partitionsOf } from '../helpers/partitions.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const dayName = (at: Date) => dayPartitionName('session_outbox', at);

/**
 * Issue 17: the outbox gets a row per change, refreshes included, so it is partitioned by day like
 * the activity log: a day leaves whole once every row of it was sent more than OUTBOX_RETENTION ago.
 */
describe('outbox partitions', () => {
  let app: TestApp;
  let db: DataSource;
  let relay: SessionEventRelay;
  const partitions = () => partitionsOf(db, 'session_outbox');
  const rowsIn = async (table: string, userId?: string): Promise<number> =>
    (await db.query(`SELECT count(*)::int AS n FROM ${table}${userId ? ' WHERE user_id = $1' : ''}`, userId ? [userId] : []))[0].n;

  beforeAll(async () => {
    app = await startTestApp({ OUTBOX_RETENTION: '1d', ACCESS_TOKEN_TTL: '60m' });
    db = app.tessera.app.get(DataSource);
    relay = app.tessera.app.get(SessionEventRelay);
  });
  afterAll(async () => {
    relay.hold(false);
    await app.close();
  });

  it('has today’s partition and the next two days’ before anything is written, and writes today’s events there', async () => {
    const names = await partitions();
    for (let i = 0; i <= 2; i++) expect(names).toContain(dayName(new Date(app.clock.now().getTime() + i * DAY)));
    const user = await registerUser(app.graphql);
    await login(app.graphql, user);
    expect(await rowsIn(dayName(app.clock.now()), user.id)).toBeGreaterThan(0);
    expect(await rowsIn('session_outbox_default')).toBe(0);
  });

  it('drops a day whose events were all sent more than OUTBOX_RETENTION ago, keeps a day still holding an unsent one', async () => {
    const sent = await registerUser(app.graphql);
    await login(app.graphql, sent);
    await relay.flush();
    const sentDay = dayName(app.clock.now());

    // Held, the relay neither sends nor runs its own upkeep: the bus is away for days, and the
    // test runs the upkeep itself. This day's event is committed, never sent.
    relay.hold(true);
    app.clock.advance(DAY);
    const unsent = await registerUser(app.graphql);
    await login(app.graphql, unsent);
    const unsentDay = dayName(app.clock.now());
    app.clock.advance(3 * DAY);

    const upkeep = await relay.maintain();
    expect(upkeep.dropped).toContain(sentDay);
    expect(upkeep.dropped).not.toContain(unsentDay);
    const names = await partitions();
    expect(names).not.toContain(sentDay);
    expect(names).toContain(unsentDay);
    expect(names).toContain(dayName(new Date(app.clock.now().getTime() + 2 * DAY)));
    expect(await rowsIn(unsentDay, unsent.id)).toBeGreaterThan(0);

    // Once sent, it is kept OUTBOX_RETENTION from then, and goes with its day after that.
    relay.hold(false);
    await relay.flush();
    relay.hold(true);
    expect((await relay.maintain()).dropped).not.toContain(unsentDay);
    app.clock.advance(DAY + MINUTE);
    expect((await relay.maintain()).dropped).toContain(unsentDay);
    expect(await partitions()).not.toContain(unsentDay);
  });
});
