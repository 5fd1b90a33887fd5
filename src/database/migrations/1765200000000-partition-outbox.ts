import type { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = 'user_id, version, type, payload, created_at, sent_at';

const INDEXES = {
  // The relay's queue: small, since rows leave it within moments of their commit.
  session_outbox_unsent_idx: '(user_id, version) WHERE sent_at IS NULL',
  session_outbox_sent_idx: '(sent_at) WHERE sent_at IS NOT NULL',
};

/**
 * session_outbox gets a row per change, refreshes included (a million sessions refreshing every
 * 15 minutes write ~96 million a day), and kept them OUTBOX_RETENTION after they were sent, then
 * deleted them row by row. Partitioned by day of `created_at`, as the activity log is, a day
 * leaves whole once it is past retention and every row of it has been sent. The primary key takes
 * `created_at` (a partitioned table's keys must hold its partition key); (user, version) stays
 * unique because versions are reserved under the user's lock. What the table held goes into
 * `session_outbox_before_partitioning`, pruned row by row; anything outside every day, into the
 * default partition, pruned the same way.
 */
export class PartitionOutbox1765200000000 implements MigrationInterface {
  name = 'PartitionOutbox1765200000000';

  async up(db: QueryRunner): Promise<void> {
    await setAside(db, 'session_outbox_unpartitioned');
    await createOutboxTable(db, { primaryKey: '(user_id, version, created_at)', partitioned: true });
    await db.query(`CREATE TABLE session_outbox_default PARTITION OF session_outbox DEFAULT`);
    const [{ first }] = (await db.query(`SELECT min(created_at) AS first FROM session_outbox_unpartitioned`)) as {
      first: Date | null;
    }[];
    const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
    if (first && first < today) {
      await db.query(
        `CREATE TABLE session_outbox_before_partitioning PARTITION OF session_outbox FOR VALUES FROM ('-infinity') TO ('${today.toISOString()}')`,
      );
    }
    await moveRowsFrom(db, 'session_outbox_unpartitioned');
  }

  async down(db: QueryRunner): Promise<void> {
    await setAside(db, 'session_outbox_partitioned');
    await createOutboxTable(db, { primaryKey: '(user_id, version)', partitioned: false });
    await moveRowsFrom(db, 'session_outbox_partitioned');
  }
}

/** Renames the table, its indexes and its constraints out of the way of the new table's names. */
async function setAside(db: QueryRunner, aside: string): Promise<void> {
  await db.query(`ALTER TABLE session_outbox RENAME TO ${aside}`);
  for (const index of Object.keys(INDEXES)) await db.query(`ALTER INDEX ${index} RENAME TO ${index}_${aside.split('_').at(-1)}`);
  const constraints = (await db.query(
    `SELECT conname, contype FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('f', 'p')`,
    [aside],
  )) as { conname: string; contype: 'f' | 'p' }[];
  for (const { conname, contype } of constraints) {
    // The copy is checked by the new table's foreign key.
    if (contype === 'f') await db.query(`ALTER TABLE ${aside} DROP CONSTRAINT "${conname}"`);
    else await db.query(`ALTER TABLE ${aside} RENAME CONSTRAINT "${conname}" TO ${aside}_pkey`);
  }
}

async function createOutboxTable(db: QueryRunner, shape: { primaryKey: string; partitioned: boolean }): Promise<void> {
  await db.query(`
    CREATE TABLE session_outbox (
      user_id uuid NOT NULL,
      version integer NOT NULL,
      type varchar(32) NOT NULL,
      payload json NOT NULL,
      created_at timestamptz NOT NULL,
      sent_at timestamptz,
      CONSTRAINT session_outbox_pkey PRIMARY KEY ${shape.primaryKey},
      CONSTRAINT session_outbox_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    )${shape.partitioned ? ' PARTITION BY RANGE (created_at)' : ''}`);
  for (const [index, definition] of Object.entries(INDEXES)) await db.query(`CREATE INDEX ${index} ON session_outbox ${definition}`);
}

async function moveRowsFrom(db: QueryRunner, aside: string): Promise<void> {
  await db.query(`INSERT INTO session_outbox (${COLUMNS}) SELECT ${COLUMNS} FROM ${aside}`);
  await db.query(`DROP TABLE ${aside}`);
}
