import { open, type Database } from 'sqlite';
import sqlite3 from 'sqlite3';
import { MaiError } from '../errors.js';
import type { Store } from './store.js';
import type { Row, SqlDriver } from './sql-connection.js';
import { runMigrations } from './migrations.js';
import { SqlStore } from './sql-store.js';

export interface SqliteStoreOptions {
  /** Path of the database file; created if missing (its directory must exist). */
  file: string;
  /** How long a writer waits for another process's lock before failing; default 5000 ms. */
  busyTimeoutMs?: number;
}

/**
 * Opens (creating if needed) the SQLite file, configures it and applies pending
 * migrations. Lifecycle: the returned store is ready; `close()` closes the file.
 * Failures are STORE_FAILED naming the file.
 */
export async function openSqliteStore(options: SqliteStoreOptions): Promise<Store> {
  let db: Database;
  try {
    db = await open({ filename: options.file, driver: sqlite3.Database });
  } catch (err) {
    throw new MaiError('STORE_FAILED', `cannot open SQLite database ${options.file}`, { cause: err });
  }
  const driver = sqliteDriver(db);
  try {
    // busy_timeout first: switching to WAL needs a lock another opener may hold.
    await db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    // WAL lets readers run while one writer writes (several CLI processes may share the file).
    await switchToWal(db, options.busyTimeoutMs ?? 5000);
    await db.exec('PRAGMA foreign_keys = ON');
    await runMigrations(driver);
  } catch (err) {
    await db.close().catch(() => undefined);
    if (err instanceof MaiError) throw err;
    throw new MaiError('STORE_FAILED', `cannot prepare SQLite database ${options.file}`, { cause: err });
  }
  return new SqlStore('sqlite', driver);
}

/**
 * `PRAGMA journal_mode = WAL`, retried: two processes opening a fresh file together
 * both read its header and then both need the exclusive lock, and SQLite answers one
 * of them SQLITE_BUSY at once rather than wait (waiting would deadlock), busy timeout
 * or not. The other finishes the switch; this one then finds WAL already on.
 */
async function switchToWal(db: Database, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 5; ; delay = Math.min(delay * 2, 100)) {
    try {
      await db.exec('PRAGMA journal_mode = WAL');
      return;
    } catch (err) {
      if ((err as { code?: unknown }).code !== 'SQLITE_BUSY' || Date.now() > deadline) throw err;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}

function sqliteDriver(db: Database): SqlDriver {
  return {
    dialect: 'sqlite',
    query(sql: string, params: readonly unknown[] = []): Promise<Row[]> {
      // `$n` -> `?n`: both bind by number, so the shared SQL keeps its meaning.
      return db.all<Row[]>(sql.replace(/\$(\d+)/g, '?$1'), [...params]);
    },
    isUniqueViolation(err: unknown): boolean {
      // node-sqlite3 reports the primary result code only; the message tells UNIQUE from CHECK/NOT NULL.
      return (
        err instanceof Error &&
        (err as { code?: unknown }).code === 'SQLITE_CONSTRAINT' &&
        err.message.includes('UNIQUE constraint failed')
      );
    },
    isUnavailable(err: unknown): boolean {
      // Locked past the busy timeout by another process, or the file (or its disk) gone.
      const code = (err as { code?: unknown } | null)?.code;
      return code === 'SQLITE_BUSY' || code === 'SQLITE_CANTOPEN' || code === 'SQLITE_IOERR';
    },
    close: () => db.close(),
  };
}
