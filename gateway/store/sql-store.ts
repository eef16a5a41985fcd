import { randomUUID } from 'node:crypto';
import { MaiError } from '../errors.js';
import type { SessionRecord } from '../domain/types.js';
import { SqlAuthStore, type AuthStore } from './auth-store.js';
import { SqlProjectStore, type ProjectStore } from './project-store.js';
import { SqlToolSettingsStore, type ToolSettingsStore } from './tool-settings-store.js';
import type { SessionPatch, Store } from './store.js';
import type { Row, SqlDriver } from './sql-connection.js';
import { SESSION_COLUMNS, sessionFromRow, sessionParams } from './session-rows.js';

const PLACEHOLDERS = SESSION_COLUMNS.split(',')
  .map((_, i) => `$${i + 1}`)
  .join(', ');

/**
 * The one `Store` implementation: every query is written once here and runs on either
 * driver, which is what keeps SQLite and PostgreSQL behaving alike.
 *
 * Lifecycle: built by `openSqliteStore`/`openPgStore` around a driver that is already
 * migrated; `close()` closes the driver once, later calls resolve the same promise;
 * any other call after `close()` is STORE_FAILED.
 */
export class SqlStore implements Store {
  private closing: Promise<void> | null = null;
  /** Lazy on purpose: `query` checks `closing` and the driver at call time. */
  readonly auth: AuthStore = new SqlAuthStore((what, sql, params) => this.query(what, sql, params));
  readonly projects: ProjectStore = new SqlProjectStore((what, sql, params) => this.query(what, sql, params));
  readonly tools: ToolSettingsStore = new SqlToolSettingsStore((what, sql, params) => this.query(what, sql, params));

  constructor(
    readonly kind: 'sqlite' | 'postgres',
    private readonly driver: SqlDriver,
    /** The clock for `updatedAt`; injectable so tests need not sleep. */
    private readonly now: () => Date = () => new Date(),
  ) {}

  async insertSession(session: SessionRecord): Promise<void> {
    try {
      await this.query(
        'insert session',
        `INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (${PLACEHOLDERS})`,
        sessionParams(session),
      );
    } catch (err) {
      if (err instanceof MaiError && this.driver.isUniqueViolation(err.cause)) {
        throw new MaiError('SESSION_NAME_TAKEN', `a session named "${session.name}" already exists`, { cause: err.cause });
      }
      throw err;
    }
  }

  async updateSession(id: string, patch: SessionPatch): Promise<SessionRecord | null> {
    const sets = ['updated_at = $2'];
    const params: unknown[] = [id, this.now().toISOString()];
    // `undefined` leaves a field alone; `containerId: null` clears it.
    if (patch.status !== undefined) {
      params.push(patch.status);
      sets.push(`status = $${params.length}`);
    }
    if (patch.containerId !== undefined) {
      params.push(patch.containerId);
      sets.push(`container_id = $${params.length}`);
    }
    const rows = await this.query(
      'update session',
      `UPDATE sessions SET ${sets.join(', ')} WHERE id = $1 RETURNING ${SESSION_COLUMNS}`,
      params,
    );
    return rows[0] ? sessionFromRow(rows[0]) : null;
  }

  async getSession(id: string): Promise<SessionRecord | null> {
    const rows = await this.query('get session', `SELECT ${SESSION_COLUMNS} FROM sessions WHERE id = $1`, [id]);
    return rows[0] ? sessionFromRow(rows[0]) : null;
  }

  async findSessionByName(owner: string, name: string): Promise<SessionRecord | null> {
    const rows = await this.query(
      'find session by name',
      `SELECT ${SESSION_COLUMNS} FROM sessions WHERE owner = $1 AND name = $2`,
      [owner, name],
    );
    return rows[0] ? sessionFromRow(rows[0]) : null;
  }

  async listSessions(owner?: string): Promise<SessionRecord[]> {
    // Ties on created_at are broken by id so both databases return one stable order.
    const rows =
      owner === undefined
        ? await this.query('list sessions', `SELECT ${SESSION_COLUMNS} FROM sessions ORDER BY created_at, id`)
        : await this.query(
            'list sessions',
            `SELECT ${SESSION_COLUMNS} FROM sessions WHERE owner = $1 ORDER BY created_at, id`,
            [owner],
          );
    return rows.map(sessionFromRow);
  }

  async deleteSession(id: string): Promise<boolean> {
    const rows = await this.query('delete session', 'DELETE FROM sessions WHERE id = $1 RETURNING id', [id]);
    return rows.length > 0;
  }

  async touchSession(id: string, at: string): Promise<void> {
    await this.query('touch session', 'UPDATE sessions SET last_active_at = $2 WHERE id = $1', [id, at]);
  }

  async claimSession(id: string, seen: string | undefined, at: string): Promise<boolean> {
    // Compare-and-set on the last activity: a heartbeat or another claim in between makes this one lose.
    const rows = await this.query(
      'claim session',
      "UPDATE sessions SET last_active_at = $3 WHERE id = $1 AND COALESCE(last_active_at, '') = $2 RETURNING id",
      [id, seen ?? '', at],
    );
    return rows.length > 0;
  }

  async instanceId(): Promise<string> {
    // First caller wins; every replica sharing the database then reads the same id.
    await this.query('create instance id', "INSERT INTO mai_meta (key, value) VALUES ('instance_id', $1) ON CONFLICT (key) DO NOTHING", [
      randomUUID(),
    ]);
    const rows = await this.query('read instance id', "SELECT value FROM mai_meta WHERE key = 'instance_id'");
    return String(rows[0]?.['value']);
  }

  close(): Promise<void> {
    this.closing ??= this.driver.close();
    return this.closing;
  }

  /** Runs one statement, translating every driver error into STORE_FAILED (original kept as cause). */
  private async query(what: string, sql: string, params?: readonly unknown[]): Promise<Row[]> {
    if (this.closing) throw new MaiError('STORE_FAILED', `cannot ${what}: the store is closed`);
    try {
      return await this.driver.query(sql, params);
    } catch (err) {
      throw new MaiError('STORE_FAILED', `cannot ${what}: ${this.kind} query failed`, { cause: err });
    }
  }
}
