import type { EntityManager } from 'typeorm';

/** Whatever sends SQL: the DataSource, or a transaction's EntityManager. */
export type Queryable = Pick<EntityManager, 'query'>;

/** An UPDATE's or a DELETE's answer: its RETURNING rows (none without RETURNING) and how many rows it changed. */
export interface UpdateOrDeleteResult<Row> {
  readonly rows: Row[];
  readonly affected: number;
}

// The trust boundary for raw SQL. The driver cannot know a statement's columns, so TypeORM's
// query() answers `any`; these two helpers are the only places that turn that `any` into a type.
// Each caller names the row its SQL returns (column aliases as written, and values as pg parses
// them: timestamptz → Date, int4 → number, int8 and bigint casts → string, jsonb → object, bytea →
// Buffer), so a wrong row type is one mistake in an interface beside its SQL instead of an `any`
// travelling unchecked through the service.

/** The rows of a SELECT, or of an INSERT … RETURNING: every statement but UPDATE and DELETE. */
export async function queryRows<Row>(db: Queryable, sql: string, parameters?: readonly unknown[]): Promise<Row[]> {
  return db.query<Row[]>(sql, parameters);
}

/**
 * An UPDATE or a DELETE, including one led by a WITH (the main statement's command decides).
 * TypeORM's PostgreSQL driver answers those with `[rows, rowCount]` instead of the rows alone, so
 * reading them as queryRows would take the rows array for the first row.
 */
export async function queryUpdateOrDelete<Row = never>(
  db: Queryable,
  sql: string,
  parameters?: readonly unknown[],
): Promise<UpdateOrDeleteResult<Row>> {
  const [rows, affected] = await db.query<[Row[], number]>(sql, parameters);
  return { rows, affected };
}
