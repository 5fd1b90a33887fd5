import type { MigrationInterface, QueryRunner } from 'typeorm';

const COLUMNS = 'id, seq, user_id, session_id, type, occurred_at, ip_address, user_agent, details';

/**
 * session_activity grows by a row per refresh, so it is partitioned by day of `occurred_at`:
 * ACTIVITY_RETENTION drops whole days instead of deleting rows, and the sweeper creates the next
 * days ahead (ActivityPartitions). What the table held before this migration goes into one
 * partition, `session_activity_before_partitioning`, pruned row by row until it is empty; anything
 * outside every partition lands in the default partition, pruned the same way.
 */
export class PartitionActivity1764800000000 implements MigrationInterface {
  name = 'PartitionActivity1764800000000';

  async up(db: QueryRunner): Promise<void> {
    await setAside(db, 'session_activity_unpartitioned');
    await createActivityTable(db, { primaryKey: '(id, occurred_at)', partitioned: true });
    await db.query(`CREATE TABLE session_activity_default PARTITION OF session_activity DEFAULT`);
    // The rows so far keep their order (seq), in one partition that ends where today's begins.
    const [{ first }] = (await db.query(`SELECT min(occurred_at) AS first FROM session_activity_unpartitioned`)) as {
      first: Date | null;
    }[];
    const today = new Date(new Date().toISOString().slice(0, 10) + 'T00:00:00Z');
    if (first && first < today) {
      await db.query(
        `CREATE TABLE session_activity_before_partitioning PARTITION OF session_activity FOR VALUES FROM ('-infinity') TO ('${today.toISOString()}')`,
      );
    }
    await moveRowsFrom(db, 'session_activity_unpartitioned');
  }

  async down(db: QueryRunner): Promise<void> {
    await setAside(db, 'session_activity_partitioned');
    await createActivityTable(db, { primaryKey: '(id)', partitioned: false });
    await moveRowsFrom(db, 'session_activity_partitioned');
  }
}

const INDEXES = {
  session_activity_user_idx: '(user_id, occurred_at DESC, seq DESC)',
  session_activity_occurred_idx: '(occurred_at)',
  session_activity_user_ip_idx: '(user_id, ip_address, occurred_at)',
};

/** Renames the table and its indexes out of the way, and frees the constraint names for the new one. */
async function setAside(db: QueryRunner, aside: string): Promise<void> {
  await db.query(`ALTER TABLE session_activity RENAME TO ${aside}`);
  for (const index of Object.keys(INDEXES)) await db.query(`ALTER INDEX ${index} RENAME TO ${index}_${aside.split('_').at(-1)}`);
  await freeConstraintNames(db, aside);
}

async function createActivityTable(db: QueryRunner, shape: { primaryKey: string; partitioned: boolean }): Promise<void> {
  await db.query(`
    CREATE TABLE session_activity (
      id uuid NOT NULL,
      seq bigint GENERATED ALWAYS AS IDENTITY,
      user_id uuid NOT NULL,
      session_id uuid,
      type varchar(32) NOT NULL,
      occurred_at timestamptz NOT NULL,
      ip_address text,
      user_agent text,
      details jsonb,
      CONSTRAINT session_activity_pkey PRIMARY KEY ${shape.primaryKey},
      CONSTRAINT session_activity_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE
    )${shape.partitioned ? ' PARTITION BY RANGE (occurred_at)' : ''}`);
  for (const [index, columns] of Object.entries(INDEXES)) await db.query(`CREATE INDEX ${index} ON session_activity ${columns}`);
}

/** Copies every row with its seq, moves the sequence past them, and drops the table set aside. */
async function moveRowsFrom(db: QueryRunner, aside: string): Promise<void> {
  await db.query(`INSERT INTO session_activity (${COLUMNS}) OVERRIDING SYSTEM VALUE SELECT ${COLUMNS} FROM ${aside}`);
  await db.query(`SELECT setval(pg_get_serial_sequence('session_activity', 'seq'), GREATEST((SELECT max(seq) FROM ${aside}), 1))`);
  await db.query(`DROP TABLE ${aside}`);
}

/**
 * The table about to be copied and dropped gives up the names its replacement takes: its foreign
 * key goes (the copy is checked by the new one), its primary key is renamed. Looked up rather
 * than named, since PostgreSQL may have numbered them.
 */
async function freeConstraintNames(db: QueryRunner, table: string): Promise<void> {
  const constraints = (await db.query(
    `SELECT conname, contype FROM pg_constraint WHERE conrelid = $1::regclass AND contype IN ('f', 'p')`,
    [table],
  )) as { conname: string; contype: 'f' | 'p' }[];
  for (const { conname, contype } of constraints) {
    if (contype === 'f') await db.query(`ALTER TABLE ${table} DROP CONSTRAINT "${conname}"`);
    else await db.query(`ALTER TABLE ${table} RENAME CONSTRAINT "${conname}" TO ${table}_pkey`);
  }
}
