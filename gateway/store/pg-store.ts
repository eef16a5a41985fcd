import type pg from 'pg';
import { MaiError } from '../errors.js';
import type { Store } from './store.js';
import { SQL_SCHEMA_NAME, type Row, type SqlConnection, type SqlDriver } from './sql-connection.js';
import { runMigrations } from './migrations.js';
import { SqlStore } from './sql-store.js';

export interface PgStoreOptions {
  /** `postgres://` or `postgresql://` URL, password included if needed. */
  url: string;
  /**
   * Schema to keep mai's tables in (created if missing) instead of the role's default
   * search path. Lets several installations, or test runs, share one database.
   */
  schema?: string;
  /** Pool size; default 10. */
  maxConnections?: number;
  /** How long to wait for a connection; default 10000 ms, so a dead host fails instead of hanging. */
  connectTimeoutMs?: number;
}


/** First key of the two-key advisory lock: "mai" in ASCII, so the lock is recognisable in pg_locks. */
const LOCK_NAMESPACE = 0x6d6169;

/**
 * Opens a pool, waits for one connection and applies pending migrations under an
 * advisory lock (replicas starting together take turns; the lock is per schema).
 * Lifecycle: the returned store is ready; `close()` ends the pool.
 * Failures are STORE_FAILED naming user, host, port and database, never the password;
 * a bad schema name is CONFIG_INVALID.
 */
export async function openPgStore(options: PgStoreOptions): Promise<Store> {
  const { schema } = options;
  if (schema !== undefined && !SQL_SCHEMA_NAME.test(schema)) {
    throw new MaiError('CONFIG_INVALID', `invalid PostgreSQL schema name "${schema}" (use lower-case letters, digits, _)`);
  }
  const target = describeTarget(options.url);
  // Loaded here, not at the top: the local CLI (SQLite) never needs it. A third-party
  // module may load lazily; our own may not (see open-store.ts).
  const { default: pgModule } = await import('pg');
  const pool = new pgModule.Pool({
    connectionString: options.url,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A startup option, so every pooled connection resolves our tables the same way.
    ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
  });
  // An idle client dying (server restart) must not crash the process; the pool drops
  // it, and the next query reconnects or fails as STORE_FAILED where someone sees it.
  pool.on('error', () => undefined);

  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (err) {
    await pool.end().catch(() => undefined);
    throw new MaiError('STORE_FAILED', `cannot connect to PostgreSQL ${target}: ${reason(err, options.url)}`, {
      cause: err,
    });
  }

  try {
    await migrateLocked(connection(client), schema);
  } catch (err) {
    client.release(true); // a connection that failed mid-migration is not reused
    await pool.end().catch(() => undefined);
    const why = err instanceof MaiError ? err.message : reason(err, options.url);
    throw new MaiError('STORE_FAILED', `cannot migrate PostgreSQL ${target}: ${why}`, { cause: err });
  }
  client.release();
  return new SqlStore('postgres', poolDriver(pool));
}

/** Creates the schema if asked and runs the migrations, all under the advisory lock, on one connection. */
async function migrateLocked(conn: SqlConnection, schema: string | undefined): Promise<void> {
  const lockParams = [LOCK_NAMESPACE, schema ?? ''];
  await conn.query('SELECT pg_advisory_lock($1, hashtext($2))', lockParams);
  try {
    // Checked before creating: CREATE SCHEMA IF NOT EXISTS needs the CREATE privilege
    // even when the schema exists, which a production role may rightly lack.
    if (schema !== undefined) {
      const found = await conn.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
      if (found.length === 0) await conn.query(`CREATE SCHEMA ${schema}`);
    }
    await runMigrations(conn);
  } finally {
    // If this fails the connection is broken and gets destroyed, which frees the lock too.
    await conn.query('SELECT pg_advisory_unlock($1, hashtext($2))', lockParams).catch(() => undefined);
  }
}

function connection(client: pg.ClientBase): SqlConnection {
  return {
    dialect: 'postgres',
    async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await client.query<Row>(sql, [...params])).rows;
    },
  };
}

function poolDriver(pool: pg.Pool): SqlDriver {
  return {
    dialect: 'postgres',
    async query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      return (await pool.query<Row>(sql, [...params])).rows;
    },
    isUniqueViolation(err: unknown): boolean {
      return (err as { code?: unknown } | null)?.code === '23505'; // unique_violation
    },
    close: () => pool.end(),
  };
}

/** `user@host:port/database`, for messages: everything an operator needs except the password. */
function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    const user = u.username ? `${decodeURIComponent(u.username)}@` : '';
    return `${user}${u.hostname || 'localhost'}:${u.port || '5432'}${u.pathname || '/'}`;
  } catch {
    return '(unparseable URL)';
  }
}

/** The driver's own reason, with the password scrubbed in case a driver ever echoes it. */
function reason(err: unknown, url: string): string {
  const text = err instanceof Error ? err.message || err.name : String(err);
  let password = '';
  try {
    password = decodeURIComponent(new URL(url).password);
  } catch {
    // unparseable URL: nothing to scrub that we could find
  }
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return password ? oneLine.split(password).join('***') : oneLine;
}
