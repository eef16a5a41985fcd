/** The seam between the shared SQL code (migrations, session queries) and the two database drivers. */

export type Dialect = 'sqlite' | 'postgres';

/** PostgreSQL schema names mai accepts: unquoted identifiers only (the name travels in a startup option where quoting is fragile). */
export const SQL_SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export type Row = Record<string, unknown>;

/**
 * One connection (or pool) able to run a single statement.
 *
 * SQL is written once with PostgreSQL's numbered parameters (`$1`, `$2`); the SQLite
 * driver rewrites them to SQLite's equivalent `?1`, `?2`, which bind by number too,
 * so the same text means the same thing on both. Statements that change rows use
 * `RETURNING` (SQLite >= 3.35) rather than driver-specific "changes" counters.
 */
export interface SqlConnection {
  readonly dialect: Dialect;
  /** Runs one statement and resolves with its rows (empty for statements without a result). */
  query(sql: string, params?: readonly unknown[]): Promise<Row[]>;
}

/**
 * What a database driver hands to `SqlStore`. Lifecycle: open and migrated before it
 * is handed over; `SqlStore` calls `close()` exactly once.
 */
export interface SqlDriver extends SqlConnection {
  /** True when `err` is this database's unique/primary-key violation. */
  isUniqueViolation(err: unknown): boolean;
  /**
   * True when `err` says the database is not there right now (connection refused or
   * lost, server shutting down or starting, file locked past the busy timeout),
   * rather than that this statement is wrong: the caller may try again later.
   */
  isUnavailable(err: unknown): boolean;
  close(): Promise<void>;
}
