import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { DataSource } from 'typeorm';
import { SessionActivityService } from '../../src/modules/activity/domain/session-activity.service.js';
import { login, registerUser } from '../factories/session.factory.js';
import { ACTIVITY } from '../helpers/operations.js';
import { dayPartitionName } from '../../src/database/day-partitions.js';
import { DAY, partitionsOf } from '../helpers/partitions.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';

const dayName = (at: Date) => dayPartitionName('session_activity', at);

/** Issue 17: the activity log is partitioned by day, created ahead and retired a whole day at a time. */
describe('activity partitions', () => {
  let app: TestApp;
  let db: DataSource;
  const partitions = () => partitionsOf(db, 'session_activity');
  const rowsIn = async (table: string): Promise<number> => (await db.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;

  beforeAll(async () => {
    app = await startTestApp({ ACTIVITY_RETENTION: '3d', ACCESS_TOKEN_TTL: '60m' });
    db = app.tessera.app.get(DataSource);
  });
  afterAll(() => app.close());

  it('has today’s partition and the next seven days’ before anything is written, and writes today’s entries there', async () => {
    const names = await partitions();
    for (let i = 0; i <= 7; i++) expect(names).toContain(dayName(new Date(app.clock.now().getTime() + i * DAY)));
    const user = await registerUser(app.graphql);
    await login(app.graphql, user);
    expect(await rowsIn(dayName(app.clock.now()))).toBeGreaterThan(0);
    expect(await rowsIn('session_activity_default')).toBe(0);
  });

  it('pages newest first across days exactly as one long page reads them', async () => {
    const user = await registerUser(app.graphql);
    let reader = await login(app.graphql, user);
    // Three days of sign-ins, a few a day, with quiet days between: pages end inside a day and across days.
    for (const gap of [0, DAY, 2 * DAY]) {
      app.clock.advance(gap);
      for (let i = 0; i < 3; i++) reader = await login(app.graphql, user);
    }
    const read = async (first: number, after?: string) =>
      (await app.graphql.data(ACTIVITY, { first, after }, reader.tokens.accessToken)).sessionActivity as {
        edges: { node: { id: string } }[];
        pageInfo: { hasNextPage: boolean; endCursor: string | null };
      };
    const whole = (await read(100)).edges.map((edge) => edge.node.id);
    expect(whole.length).toBeGreaterThan(10);
    const paged: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await read(2, after);
      paged.push(...page.edges.map((edge) => edge.node.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor!;
    }
    expect(paged).toEqual(whole);
  });

  it('drops whole days past ACTIVITY_RETENTION, keeps the newer ones, and creates the days ahead on each sweep', async () => {
    const user = await registerUser(app.graphql);
    const first = await login(app.graphql, user);
    const firstDay = dayName(app.clock.now());
    app.clock.advance(2 * DAY);
    const second = await login(app.graphql, user);
    const secondDay = dayName(app.clock.now());
    app.clock.advance(2 * DAY);

    // The service's own upkeep (every SESSION_SWEEP_INTERVAL) may run first and drop the day itself:
    // what is asserted is the partitions there are afterwards, whichever pass dropped them.
    const upkeep = await app.tessera.app.get(SessionActivityService).maintain();
    expect(upkeep.dropped).not.toContain(secondDay);
    const names = await partitions();
    expect(names).not.toContain(firstDay);
    expect(names).toContain(secondDay);
    expect(names).toContain(dayName(new Date(app.clock.now().getTime() + 7 * DAY)));

    // What the user reads: the first login's day is gone, the second's is still there.
    const reader = await login(app.graphql, user);
    const { edges } = (await app.graphql.data(ACTIVITY, { first: 100 }, reader.tokens.accessToken)).sessionActivity;
    const sessions = new Set(edges.map((edge: { node: { sessionId: string | null } }) => edge.node.sessionId));
    expect(sessions.has(first.session.id)).toBe(false);
    expect(sessions.has(second.session.id)).toBe(true);
  });
});
