import { z } from 'zod';
import { MaiError } from '../errors.js';
import type { Row } from './sql-connection.js';

export type ProjectAuthType = 'ssh' | 'token' | 'none';

/** One stored project: a repository and how to reach it, per owner. The secret is ciphertext only. */
export interface ProjectRecord {
  owner: string;
  /** The normalized repository id (`host[:port]/path`); unique per owner. */
  id: string;
  /** The URL sessions clone. */
  url: string;
  authType: ProjectAuthType;
  /** The SSH private key or token, encrypted at rest (keys/secret-box.ts); null for `none`. */
  secret: string | null;
  /** The SSH key's public half (`ssh-ed25519 AAAA...`), to show where it must be authorized. */
  publicKey: string | null;
  /** Token auth: the user name sent with it (GitLab & co. want one); default `x-access-token`. */
  username: string | null;
  /** known_hosts lines for the git host, when the user pinned them. */
  knownHosts: string | null;
  /** PEM of a private CA the git host's TLS certificate chains to. */
  caCert: string | null;
  createdAt: string;
  updatedAt: string;
}

/** Project rows. Same lifecycle and errors as `Store` (STORE_FAILED). */
export interface ProjectStore {
  /** Inserts or replaces the owner's project with that id (PUT semantics). Returns true when it was new. */
  upsertProject(project: ProjectRecord): Promise<boolean>;
  getProject(owner: string, id: string): Promise<ProjectRecord | null>;
  /** One owner's projects, or everyone's; ordered by owner, then id. */
  listProjects(owner?: string): Promise<ProjectRecord[]>;
  deleteProject(owner: string, id: string): Promise<boolean>;
}

type Query = (what: string, sql: string, params?: readonly unknown[]) => Promise<Row[]>;

const COLUMNS = 'owner, id, url, auth_type, secret, public_key, username, known_hosts, ca_cert, created_at, updated_at';

const rowSchema = z.object({
  owner: z.string(),
  id: z.string(),
  url: z.string(),
  auth_type: z.enum(['ssh', 'token', 'none']),
  secret: z.string().nullable(),
  public_key: z.string().nullable(),
  username: z.string().nullable(),
  known_hosts: z.string().nullable(),
  ca_cert: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
});

function fromRow(row: Row): ProjectRecord {
  const parsed = rowSchema.safeParse(row);
  if (!parsed.success) throw new MaiError('STORE_FAILED', 'a projects row does not match the schema');
  const r = parsed.data;
  return {
    owner: r.owner,
    id: r.id,
    url: r.url,
    authType: r.auth_type,
    secret: r.secret,
    publicKey: r.public_key,
    username: r.username,
    knownHosts: r.known_hosts,
    caCert: r.ca_cert,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** The projects' SQL, written once for both databases (migration 4), delegated from SqlStore. */
export class SqlProjectStore implements ProjectStore {
  constructor(private readonly query: Query) {}

  async upsertProject(p: ProjectRecord): Promise<boolean> {
    const existed = (await this.query('find project', 'SELECT id FROM projects WHERE owner = $1 AND id = $2', [p.owner, p.id])).length > 0;
    // ON CONFLICT keeps the first created_at: replacing a project's credentials is an update, not a new project.
    await this.query(
      'save project',
      `INSERT INTO projects (${COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (owner, id) DO UPDATE SET url = excluded.url, auth_type = excluded.auth_type, secret = excluded.secret,
         public_key = excluded.public_key, username = excluded.username, known_hosts = excluded.known_hosts,
         ca_cert = excluded.ca_cert, updated_at = excluded.updated_at`,
      [p.owner, p.id, p.url, p.authType, p.secret, p.publicKey, p.username, p.knownHosts, p.caCert, p.createdAt, p.updatedAt],
    );
    return !existed;
  }

  async getProject(owner: string, id: string): Promise<ProjectRecord | null> {
    const rows = await this.query('get project', `SELECT ${COLUMNS} FROM projects WHERE owner = $1 AND id = $2`, [owner, id]);
    return rows[0] ? fromRow(rows[0]) : null;
  }

  async listProjects(owner?: string): Promise<ProjectRecord[]> {
    const rows =
      owner === undefined
        ? await this.query('list projects', `SELECT ${COLUMNS} FROM projects ORDER BY owner, id`)
        : await this.query('list projects', `SELECT ${COLUMNS} FROM projects WHERE owner = $1 ORDER BY id`, [owner]);
    return rows.map(fromRow);
  }

  async deleteProject(owner: string, id: string): Promise<boolean> {
    const rows = await this.query('delete project', 'DELETE FROM projects WHERE owner = $1 AND id = $2 RETURNING id', [owner, id]);
    return rows.length > 0;
  }
}
