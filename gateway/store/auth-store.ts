import type { Row } from './sql-connection.js';

/** One login: what a user got by authenticating once (OIDC or a local token), until logout or expiry. */
export interface LoginRecord {
  id: string;
  user: string;
  admin: boolean;
  provider: 'oidc' | 'local';
  /** The identity provider's `sub`; refresh must answer for the same one. */
  subject: string | null;
  /** The identity provider's refresh token, re-checked on every refresh; null when it gave none. */
  idpRefreshToken: string | null;
  /** ISO 8601. */
  createdAt: string;
  /** The login ends here unless refreshed; certificates never outlive it. */
  expiresAt: string;
  revokedAt: string | null;
}

/** What a token is for: API access, rotating refresh, or a web UI sign-in (the browser's cookie). */
export const TOKEN_KINDS = ['access', 'refresh', 'browser'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

/** One of the server's own tokens; only its sha256 is stored. */
export interface TokenRecord {
  hash: string;
  loginId: string;
  kind: TokenKind;
  expiresAt: string;
  /** Set when a refresh token has been rotated; using it again means it leaked. */
  usedAt: string | null;
}

export interface CertificateRecord {
  /** Decimal: PostgreSQL and SQLite agree on text, not on 64-bit integers in JS. */
  serial: bigint;
  keyId: string;
  user: string;
  loginId: string | null;
  validBefore: string;
  createdAt: string;
}

/** What the REST API's identity side keeps. Same lifecycle and errors as `Store` (STORE_FAILED). */
export interface AuthStore {
  insertLogin(login: LoginRecord): Promise<void>;
  getLogin(id: string): Promise<LoginRecord | null>;
  updateLogin(id: string, patch: { admin?: boolean; idpRefreshToken?: string | null; expiresAt?: string }): Promise<void>;
  /** Revokes the logins (one, or all of a user's), deletes their tokens and revokes their certificates. */
  revokeLogins(which: { loginId: string } | { user: string }, at: string): Promise<void>;
  insertToken(token: TokenRecord): Promise<void>;
  /** A token by hash, with its login. */
  findToken(hash: string): Promise<{ token: TokenRecord; login: LoginRecord } | null>;
  /** Marks a refresh token used; true only for the one caller that did it (rotation is race-free). */
  useToken(hash: string, at: string): Promise<boolean>;
  insertCertificate(cert: CertificateRecord): Promise<void>;
  isSerialRevoked(serial: bigint): Promise<boolean>;
  /** Serials of revoked certificates still inside their validity (`now` ISO): the only revocations that matter. */
  revokedSerials(now: string): Promise<Set<bigint>>;
  /** Short-lived state of a login flow in progress (shared by replicas through the database). */
  putPending(id: string, kind: string, data: unknown, expiresAt: string): Promise<void>;
  getPending(id: string, kind: string, now: string): Promise<unknown>;
  /** Reads and deletes in one step, so a state value can be redeemed only once. */
  takePending(id: string, kind: string, now: string): Promise<unknown>;
  deletePending(id: string): Promise<void>;
  upsertUser(name: string, admin: boolean, at: string): Promise<void>;
  /**
   * Binds `name` to the provider account (`issuer`, `subject`) unless it is bound
   * already; returns the account it is bound to (the given one, or the earlier one).
   */
  claimName(name: string, issuer: string, subject: string, at: string): Promise<{ issuer: string; subject: string }>;
  /** The admin flag last seen for a user from the identity provider; null if never seen. */
  userAdmin(name: string): Promise<boolean | null>;
  /** Drops expired tokens and pending flows; housekeeping, safe to run any time. */
  deleteExpired(now: string): Promise<void>;
}

export type RunQuery = (what: string, sql: string, params?: readonly unknown[]) => Promise<Row[]>;

const LOGIN_COLUMNS = 'id, user_name, admin, provider, subject, idp_refresh_token, created_at, expires_at, revoked_at';

/** The SQL of `AuthStore`, written once for both databases; `SqlStore` delegates here. */
export class SqlAuthStore implements AuthStore {
  constructor(private readonly query: RunQuery) {}

  async insertLogin(l: LoginRecord): Promise<void> {
    await this.query('insert login', `INSERT INTO auth_logins (${LOGIN_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, [
      l.id,
      l.user,
      l.admin ? 1 : 0,
      l.provider,
      l.subject,
      l.idpRefreshToken,
      l.createdAt,
      l.expiresAt,
      l.revokedAt,
    ]);
  }

  async getLogin(id: string): Promise<LoginRecord | null> {
    const rows = await this.query('get login', `SELECT ${LOGIN_COLUMNS} FROM auth_logins WHERE id = $1`, [id]);
    return rows[0] ? loginFromRow(rows[0]) : null;
  }

  async updateLogin(id: string, patch: { admin?: boolean; idpRefreshToken?: string | null; expiresAt?: string }): Promise<void> {
    const sets: string[] = [];
    const params: unknown[] = [id];
    const set = (column: string, value: unknown) => {
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    };
    if (patch.admin !== undefined) set('admin', patch.admin ? 1 : 0);
    if (patch.idpRefreshToken !== undefined) set('idp_refresh_token', patch.idpRefreshToken);
    if (patch.expiresAt !== undefined) set('expires_at', patch.expiresAt);
    if (sets.length) await this.query('update login', `UPDATE auth_logins SET ${sets.join(', ')} WHERE id = $1`, params);
  }

  async revokeLogins(which: { loginId: string } | { user: string }, at: string): Promise<void> {
    const [loginWhere, key] = 'loginId' in which ? ['id = $1', which.loginId] : ['user_name = $1', which.user];
    const certWhere = 'loginId' in which ? 'login_id = $1' : 'user_name = $1';
    // Certificates first: if a later step fails, what matters most (ssh access) is already gone.
    await this.query('revoke certificates', `UPDATE auth_certificates SET revoked_at = $2 WHERE ${certWhere} AND revoked_at IS NULL`, [key, at]);
    await this.query('revoke tokens', `DELETE FROM auth_tokens WHERE login_id IN (SELECT id FROM auth_logins WHERE ${loginWhere})`, [key]);
    await this.query('revoke logins', `UPDATE auth_logins SET revoked_at = $2, idp_refresh_token = NULL WHERE ${loginWhere} AND revoked_at IS NULL`, [key, at]);
  }

  async insertToken(t: TokenRecord): Promise<void> {
    await this.query('insert token', 'INSERT INTO auth_tokens (hash, login_id, kind, expires_at, used_at) VALUES ($1, $2, $3, $4, $5)', [
      t.hash,
      t.loginId,
      t.kind,
      t.expiresAt,
      t.usedAt,
    ]);
  }

  async findToken(hash: string): Promise<{ token: TokenRecord; login: LoginRecord } | null> {
    const columns = LOGIN_COLUMNS.split(', ').map((c) => `l.${c}`).join(', ');
    const rows = await this.query(
      'find token',
      `SELECT t.hash, t.login_id, t.kind, t.expires_at AS token_expires_at, t.used_at, ${columns}
       FROM auth_tokens t JOIN auth_logins l ON l.id = t.login_id WHERE t.hash = $1`,
      [hash],
    );
    const row = rows[0];
    const kind = TOKEN_KINDS.find((k) => k === row?.['kind']);
    // A kind this build does not know (a newer server wrote it) opens nothing.
    if (!row || !kind) return null;
    return {
      token: {
        hash: String(row['hash']),
        loginId: String(row['login_id']),
        kind,
        expiresAt: String(row['token_expires_at']),
        usedAt: nullableText(row['used_at']),
      },
      login: loginFromRow(row),
    };
  }

  async useToken(hash: string, at: string): Promise<boolean> {
    const rows = await this.query('use token', 'UPDATE auth_tokens SET used_at = $2 WHERE hash = $1 AND used_at IS NULL RETURNING hash', [hash, at]);
    return rows.length > 0;
  }

  async insertCertificate(c: CertificateRecord): Promise<void> {
    await this.query(
      'record certificate',
      'INSERT INTO auth_certificates (serial, key_id, user_name, login_id, valid_before, created_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, NULL)',
      [c.serial.toString(), c.keyId, c.user, c.loginId, c.validBefore, c.createdAt],
    );
  }

  async isSerialRevoked(serial: bigint): Promise<boolean> {
    const rows = await this.query('check serial', 'SELECT 1 AS revoked FROM auth_certificates WHERE serial = $1 AND revoked_at IS NOT NULL', [
      serial.toString(),
    ]);
    return rows.length > 0;
  }

  async revokedSerials(now: string): Promise<Set<bigint>> {
    const rows = await this.query(
      'list revoked serials',
      'SELECT serial FROM auth_certificates WHERE revoked_at IS NOT NULL AND valid_before > $1',
      [now],
    );
    return new Set(rows.map((row) => BigInt(String(row['serial']))));
  }

  async putPending(id: string, kind: string, data: unknown, expiresAt: string): Promise<void> {
    await this.query('save login flow', 'INSERT INTO auth_pending (id, kind, data, expires_at) VALUES ($1, $2, $3, $4)', [
      id,
      kind,
      JSON.stringify(data),
      expiresAt,
    ]);
  }

  async getPending(id: string, kind: string, now: string): Promise<unknown> {
    const rows = await this.query('read login flow', 'SELECT data FROM auth_pending WHERE id = $1 AND kind = $2 AND expires_at > $3', [id, kind, now]);
    return rows[0] ? JSON.parse(String(rows[0]['data'])) : null;
  }

  async takePending(id: string, kind: string, now: string): Promise<unknown> {
    const rows = await this.query('take login flow', 'DELETE FROM auth_pending WHERE id = $1 AND kind = $2 RETURNING data, expires_at', [id, kind]);
    const row = rows[0];
    return row && String(row['expires_at']) > now ? JSON.parse(String(row['data'])) : null;
  }

  async deletePending(id: string): Promise<void> {
    await this.query('delete login flow', 'DELETE FROM auth_pending WHERE id = $1', [id]);
  }

  async upsertUser(name: string, admin: boolean, at: string): Promise<void> {
    await this.query(
      'save user',
      'INSERT INTO auth_users (name, admin, updated_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE SET admin = $2, updated_at = $3',
      [name, admin ? 1 : 0, at],
    );
  }

  async claimName(name: string, issuer: string, subject: string, at: string): Promise<{ issuer: string; subject: string }> {
    // First login wins, atomically: of two racing logins under one name, one account gets it.
    await this.query(
      'claim user name',
      'INSERT INTO auth_identities (name, issuer, subject, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING',
      [name, issuer, subject, at],
    );
    const rows = await this.query('read user name', 'SELECT issuer, subject FROM auth_identities WHERE name = $1', [name]);
    return { issuer: String(rows[0]?.['issuer']), subject: String(rows[0]?.['subject']) };
  }

  async userAdmin(name: string): Promise<boolean | null> {
    const rows = await this.query('read user', 'SELECT admin FROM auth_users WHERE name = $1', [name]);
    return rows[0] ? Number(rows[0]['admin']) === 1 : null;
  }

  async deleteExpired(now: string): Promise<void> {
    await this.query('expire tokens', 'DELETE FROM auth_tokens WHERE expires_at <= $1', [now]);
    await this.query('expire login flows', 'DELETE FROM auth_pending WHERE expires_at <= $1', [now]);
  }
}

function loginFromRow(row: Row): LoginRecord {
  return {
    id: String(row['id']),
    user: String(row['user_name']),
    admin: Number(row['admin']) === 1,
    provider: row['provider'] === 'local' ? 'local' : 'oidc',
    subject: nullableText(row['subject']),
    idpRefreshToken: nullableText(row['idp_refresh_token']),
    createdAt: String(row['created_at']),
    expiresAt: String(row['expires_at']),
    revokedAt: nullableText(row['revoked_at']),
  };
}

function nullableText(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}
