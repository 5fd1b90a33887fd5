import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';

/** Whatever sends SQL: the DataSource, or a transaction's EntityManager. */
export type Queryable = Pick<EntityManager, 'query'>;

/**
 * A statement PostgreSQL parses and plans once per connection instead of on every call: pg sends
 * it named (Parse once, then only Bind and Execute). For the hottest statements, parse and plan
 * cost more than running them (the refresh's rotation: about half of PostgreSQL's CPU).
 */
export interface PreparedStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * Named on PostgreSQL. Unnamed on the embedded database: its one session outlives the pg client
 * that prepared a statement (a reconnecting client would prepare the name again and be refused),
 * and it parses in-process anyway.
 */
export function preparedOn(database: 'postgres' | 'embedded', name: string, text: string): PreparedStatement | string {
  return database === 'postgres' ? { name, text } : text;
}

/**
 * preparedOn for a statement assembled from a few variants (optional filters): each variant gets
 * its own name, derived from its text.
 */
export function preparedVariantOn(database: 'postgres' | 'embedded', prefix: string, text: string): PreparedStatement | string {
  return preparedOn(database, `${prefix}_${createHash('sha1').update(text).digest('hex').slice(0, 12)}`, text);
}

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
export async function queryRows<Row>(db: Queryable, sql: string | PreparedStatement, parameters?: readonly unknown[]): Promise<Row[]> {
  return db.query<Row[]>(asDriverQuery(sql), parameters);
}

/**
 * An UPDATE or a DELETE, including one led by a WITH (the main statement's command decides).
 * TypeORM's PostgreSQL driver answers those with `[rows, rowCount]` instead of the rows alone, so
 * reading them as queryRows would take the rows array for the first row.
 */
export async function queryUpdateOrDelete<Row = never>(
  db: Queryable,
  sql: string | PreparedStatement,
  parameters?: readonly unknown[],
): Promise<UpdateOrDeleteResult<Row>> {
  const [rows, affected] = await db.query<[Row[], number]>(asDriverQuery(sql), parameters);
  return { rows, affected };
}

/** TypeORM hands its query argument to pg's client.query unchanged, and pg takes `{ name, text }` there. */
function asDriverQuery(sql: string | PreparedStatement): string {
  return sql as string;
}
