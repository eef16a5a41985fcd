import { MaiError } from '../errors.js';
import type { Dialect, SqlConnection } from './sql-connection.js';

/**
 * One statement of a migration: portable SQL, or, where the dialects truly differ,
 * both spellings side by side so the difference stays visible in one place.
 */
export type MigrationStatement = string | Readonly<Record<Dialect, string>>;

/** One schema change. `id`s are 1, 2, 3, ... in list order and never reused or edited once released. */
export interface Migration {
  readonly id: number;
  readonly name: string;
  readonly statements: readonly MigrationStatement[];
}

/**
 * THE ordered list of schema changes, shared by SQLite and PostgreSQL. To change the
 * schema, append an entry; never edit one that has shipped, since databases in the
 * field have already applied it and will not run it again.
 *
 * Conventions that keep the SQL portable: TEXT for strings, ISO 8601 text for
 * timestamps, JSON as TEXT, INTEGER for small numbers, no CHECK on enums (SQLite
 * cannot alter one without rebuilding the table; rows are validated on read).
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    id: 1,
    name: 'sessions',
    statements: [
      `CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        name TEXT NOT NULL,
        driver TEXT NOT NULL,
        image TEXT NOT NULL,
        status TEXT NOT NULL,
        container_id TEXT,
        project_url TEXT,
        spec TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CONSTRAINT sessions_owner_name_key UNIQUE (owner, name)
      )`,
      'CREATE INDEX sessions_created_at_idx ON sessions (created_at, id)',
    ],
  },
  {
    id: 2,
    name: 'meta',
    statements: ['CREATE TABLE mai_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)'],
  },
  {
    // Logins, the server's own tokens (hashed), issued certificates, pending OIDC flows.
    id: 3,
    name: 'auth',
    statements: [
      `CREATE TABLE auth_logins (
        id TEXT PRIMARY KEY,
        user_name TEXT NOT NULL,
        admin INTEGER NOT NULL,
        provider TEXT NOT NULL,
        subject TEXT,
        idp_refresh_token TEXT,
        created_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      'CREATE INDEX auth_logins_user_idx ON auth_logins (user_name)',
      `CREATE TABLE auth_tokens (
        hash TEXT PRIMARY KEY,
        login_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        used_at TEXT
      )`,
      'CREATE INDEX auth_tokens_login_idx ON auth_tokens (login_id)',
      `CREATE TABLE auth_certificates (
        serial TEXT PRIMARY KEY,
        key_id TEXT NOT NULL,
        user_name TEXT NOT NULL,
        login_id TEXT,
        valid_before TEXT NOT NULL,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      )`,
      'CREATE INDEX auth_certificates_user_idx ON auth_certificates (user_name)',
      'CREATE INDEX auth_certificates_login_idx ON auth_certificates (login_id)',
      `CREATE TABLE auth_pending (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        data TEXT NOT NULL,
        expires_at TEXT NOT NULL
      )`,
      'CREATE TABLE auth_users (name TEXT PRIMARY KEY, admin INTEGER NOT NULL, updated_at TEXT NOT NULL)',
    ],
  },
  {
    // Project repositories per owner; `secret` is ciphertext (keys/secret-box.ts), never plaintext.
    id: 4,
    name: 'projects',
    statements: [
      `CREATE TABLE projects (
        owner TEXT NOT NULL,
        id TEXT NOT NULL,
        url TEXT NOT NULL,
        auth_type TEXT NOT NULL,
        secret TEXT,
        public_key TEXT,
        username TEXT,
        known_hosts TEXT,
        ca_cert TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, id)
      )`,
    ],
  },
  {
    // Users' own model providers and MCP servers; `secret` is ciphertext (keys/secret-box.ts), never plaintext.
    id: 5,
    name: 'tool_settings',
    statements: [
      `CREATE TABLE tool_settings (
        owner TEXT NOT NULL,
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        secret TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (owner, kind, name)
      )`,
    ],
  },
  {
    // Each user name belongs to the one identity-provider account that first logged in with it.
    id: 6,
    name: 'auth_identities',
    statements: [
      `CREATE TABLE auth_identities (
        name TEXT PRIMARY KEY,
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        created_at TEXT NOT NULL
      )`,
    ],
  },
  {
    // The session lifecycle (gateway/domain/lifecycle.ts): when a session's lifetime ends
    // (--ttl, sessions.maxLifetime), and when a client last used it, as every process sharing
    // the store sees it (idle reaping). Both NULL on older rows: no end, active at creation.
    id: 7,
    name: 'session lifecycle',
    statements: ['ALTER TABLE sessions ADD COLUMN expires_at TEXT', 'ALTER TABLE sessions ADD COLUMN last_active_at TEXT'],
  },
];

const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS mai_migrations (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TEXT NOT NULL
)`;

/**
 * SQLite's IMMEDIATE takes the write lock before the "already applied?" check, so two
 * processes opening one file serialize here (waiting up to the busy timeout).
 * PostgreSQL runners are serialized by the caller's advisory lock instead.
 */
const BEGIN: Readonly<Record<Dialect, string>> = { sqlite: 'BEGIN IMMEDIATE', postgres: 'BEGIN' };

/**
 * Applies every migration of `migrations` not yet recorded in `mai_migrations`, each
 * in its own transaction together with its record, so a crash leaves either all of a
 * migration or none of it. Idempotent.
 *
 * `conn` must be ONE connection (transactions span statements). On PostgreSQL the
 * caller must hold an advisory lock that serializes concurrent runners, because
 * `CREATE TABLE IF NOT EXISTS` itself races there.
 *
 * Refuses (STORE_FAILED) a database that has migrations this build does not know:
 * it was written by a newer mai, and an older one must not guess at its schema.
 */
export async function runMigrations(
  conn: SqlConnection,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<void> {
  await conn.query(CREATE_MIGRATIONS_TABLE);
  const known = new Set(migrations.map((m) => m.id));
  const applied = await conn.query('SELECT id FROM mai_migrations');
  const unknown = applied.map((row) => Number(row['id'])).filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new MaiError(
      'STORE_FAILED',
      `the database has migration ${Math.max(...unknown)}, unknown to this version of mai (newer schema?)`,
    );
  }

  for (const migration of migrations) {
    await conn.query(BEGIN[conn.dialect]);
    try {
      // Checked inside the transaction: another runner may have applied it meanwhile.
      const done = await conn.query('SELECT id FROM mai_migrations WHERE id = $1', [migration.id]);
      if (done.length === 0) {
        for (const statement of migration.statements) {
          await conn.query(typeof statement === 'string' ? statement : statement[conn.dialect]);
        }
        await conn.query('INSERT INTO mai_migrations (id, name, applied_at) VALUES ($1, $2, $3)', [
          migration.id,
          migration.name,
          new Date().toISOString(),
        ]);
      }
      await conn.query('COMMIT');
    } catch (err) {
      await conn.query('ROLLBACK').catch(() => undefined); // the original error matters, not this one
      throw new MaiError('STORE_FAILED', `migration ${migration.id} (${migration.name}) failed`, { cause: err });
    }
  }
}
