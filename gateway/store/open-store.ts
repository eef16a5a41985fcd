import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { MaiError } from '../errors.js';
import type { Store } from './store.js';
import { openPgStore } from './pg-store.js';
import { openSqliteStore } from './sqlite-store.js';

export interface OpenStoreOptions {
  /** `postgres://` or `postgresql://` selects PostgreSQL; absent or empty selects SQLite in `dataDir`. */
  databaseUrl?: string;
  /** mai's data directory; the SQLite file is `<dataDir>/mai.db`. Created (0700) if missing. */
  dataDir: string;
  /** PostgreSQL only: keep the tables in this schema (created if missing). */
  schema?: string;
}

/** The file name of the embedded database inside the data directory. */
export const SQLITE_FILE_NAME = 'mai.db';

/**
 * Opens the store the options select and migrates it before returning.
 *
 * Lifecycle: the caller owns the returned store and must `close()` it (idempotent).
 * Errors: CONFIG_INVALID for a URL that is not PostgreSQL (or not a URL);
 * STORE_FAILED when the database cannot be reached, opened or migrated, in one line
 * that names the target but never the password, with the driver's error as cause.
 *
 * Both drivers are imported statically on purpose: a dynamic `import()` here, run under
 * `uvu -r tsx` (which `require`s test files), loads a second copy of `errors.ts`, and
 * `instanceof MaiError` then fails for errors thrown by the store.
 */
export async function openStore(options: OpenStoreOptions): Promise<Store> {
  const url = options.databaseUrl?.trim();
  if (url) {
    const scheme = urlScheme(url);
    if (scheme !== 'postgres:' && scheme !== 'postgresql:') {
      throw new MaiError(
        'CONFIG_INVALID',
        `unsupported database URL scheme "${scheme}" (expected postgres:// or postgresql://, or no URL for SQLite in the data directory)`,
      );
    }
    return openPgStore({ url, ...(options.schema !== undefined ? { schema: options.schema } : {}) });
  }
  try {
    // 0700: the database holds who owns what; other local users have no business reading it.
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new MaiError('STORE_FAILED', `cannot create data directory ${options.dataDir}`, { cause: err });
  }
  return openSqliteStore({ file: join(options.dataDir, SQLITE_FILE_NAME) });
}

function urlScheme(url: string): string {
  try {
    return new URL(url).protocol;
  } catch {
    // Never echo the URL itself: it may carry a password.
    throw new MaiError('CONFIG_INVALID', 'the database URL is not a valid URL');
  }
}
