import { z } from 'zod';
import { MaiError } from '../errors.js';
import type { Row } from './sql-connection.js';

/** What a tool setting is: a model provider, or an MCP server. */
export type ToolSettingKind = 'provider' | 'mcp';

/**
 * One user's own model provider or MCP server (`mai provider add`, `mai mcp add`): its
 * definition without secrets, and the secrets (API key, header and env values) as
 * ciphertext only (keys/secret-box.ts).
 */
export interface ToolSettingRecord {
  owner: string;
  kind: ToolSettingKind;
  name: string;
  /** The definition without its secret values, as JSON. */
  spec: string;
  /** The secret values, encrypted at rest; null when there are none. */
  secret: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Tool setting rows. Same lifecycle and errors as `Store` (STORE_FAILED). */
export interface ToolSettingsStore {
  /** Inserts or replaces the owner's setting of that kind and name. Returns true when it was new. */
  upsertToolSetting(record: ToolSettingRecord): Promise<boolean>;
  getToolSetting(owner: string, kind: ToolSettingKind, name: string): Promise<ToolSettingRecord | null>;
  /** One owner's settings of a kind, ordered by name. */
  listToolSettings(owner: string, kind: ToolSettingKind): Promise<ToolSettingRecord[]>;
  deleteToolSetting(owner: string, kind: ToolSettingKind, name: string): Promise<boolean>;
}

type Query = (what: string, sql: string, params?: readonly unknown[]) => Promise<Row[]>;

const COLUMNS = 'owner, kind, name, spec, secret, created_at, updated_at';

const rowSchema = z.object({
  owner: z.string(),
  kind: z.enum(['provider', 'mcp']),
  name: z.string(),
  spec: z.string(),
  secret: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

function fromRow(row: Row): ToolSettingRecord {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) throw new MaiError('STORE_FAILED', 'a tool_settings row does not match the schema');
  const r = parsed.data;
  return { owner: r.owner, kind: r.kind, name: r.name, spec: r.spec, secret: r.secret, createdAt: r.created_at, updatedAt: r.updated_at };
}

/** The tool settings' SQL, written once for both databases (migration 5), delegated from SqlStore. */
export class SqlToolSettingsStore implements ToolSettingsStore {
  constructor(private readonly query: Query) {}

  async upsertToolSetting(r: ToolSettingRecord): Promise<boolean> {
    const existed = (await this.getToolSetting(r.owner, r.kind, r.name)) !== null;
    // ON CONFLICT keeps the first created_at: replacing a key is an update.
    await this.query(
      'save tool setting',
      `INSERT INTO tool_settings (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (owner, kind, name) DO UPDATE SET spec = excluded.spec, secret = excluded.secret, updated_at = excluded.updated_at`,
      [r.owner, r.kind, r.name, r.spec, r.secret, r.createdAt, r.updatedAt],
    );
    return !existed;
  }

  async getToolSetting(owner: string, kind: ToolSettingKind, name: string): Promise<ToolSettingRecord | null> {
    const rows = await this.query('get tool setting', `SELECT ${COLUMNS} FROM tool_settings WHERE owner = $1 AND kind = $2 AND name = $3`, [owner, kind, name]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listToolSettings(owner: string, kind: ToolSettingKind): Promise<ToolSettingRecord[]> {
    const rows = await this.query('list tool settings', `SELECT ${COLUMNS} FROM tool_settings WHERE owner = $1 AND kind = $2 ORDER BY name`, [owner, kind]);
    return rows.map(fromRow);
  }

  async deleteToolSetting(owner: string, kind: ToolSettingKind, name: string): Promise<boolean> {
    const rows = await this.query('delete tool setting', 'DELETE FROM tool_settings WHERE owner = $1 AND kind = $2 AND name = $3 RETURNING name', [owner, kind, name]);
    return rows.length > 0;
  }
}
