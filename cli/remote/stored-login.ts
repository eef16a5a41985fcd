/**
 * The logged-in state of one remote as a TokenSource: hands out the access token,
 * refreshing it shortly before it expires or when the server refuses it. Refreshes
 * happen under a lock file and re-read the store first, because the server treats a
 * refresh token used twice as stolen and revokes the login: two CLIs started at the
 * same moment must not both spend it.
 */
import { promises as fs } from 'node:fs';
import { MaiError } from '../../gateway/errors.js';
import { ApiClient, type TokenSource } from './api-client.js';
import { createPrivateFile, removeFile } from './private-files.js';
import type { Remote } from './remotes.js';
import { TokenStore, type StoredLogin } from './token-store.js';
import type { TokenPair } from '../../gateway/auth/auth-service.js';

/** Refresh this long before the access token's end, so a request never races its expiry. */
const REFRESH_MARGIN_MS = 30_000;
const LOCK_WAIT_MS = 15_000;
/** A lock older than this belongs to a CLI that died mid-refresh. */
const LOCK_STALE_MS = 30_000;

/** The `tokenPair` of /auth/callback, /auth/device/token and /auth/refresh: the server's own type. */
export type { TokenPair };

export function tokenStoreFor(remote: Remote): TokenStore {
  return new TokenStore(remote.paths.secretKey, remote.paths.tokens, remote.name);
}

export function storedLogin(remote: Remote, pair: TokenPair, now = Date.now()): StoredLogin {
  return {
    remote: remote.name,
    user: pair.user,
    admin: pair.admin,
    accessToken: pair.accessToken,
    accessExpiresAt: now + pair.expiresIn * 1000,
    refreshToken: pair.refreshToken,
    refreshExpiresAt: now + pair.refreshExpiresIn * 1000,
  };
}

/**
 * A login with a static token of the server's `auth.users` (a team without an identity
 * provider): checked with /auth/me, kept like any login, never refreshed; it works
 * until the operator removes it from the config.
 */
export async function staticTokenLogin(remote: Remote, token: string): Promise<StoredLogin> {
  if (!token) throw new MaiError('INPUT_INVALID', 'no token on stdin');
  const refused = async (): Promise<never> => {
    throw new MaiError('AUTH_FAILED', `remote "${remote.name}" does not accept this token`);
  };
  const me = await new ApiClient(remote, { accessToken: async () => token, renewAfterRejection: refused }).json<{ user: string; admin: boolean }>('GET', '/auth/me');
  return { remote: remote.name, user: me.user, admin: me.admin, accessToken: token, accessExpiresAt: Number.MAX_SAFE_INTEGER, refreshToken: '', refreshExpiresAt: 0 };
}

export function loginAgain(remote: Remote, why: string, cause?: unknown): MaiError {
  return new MaiError('AUTH_EXPIRED', `${why}; run "mai -r ${remote.name} auth"`, { cause });
}

export class StoredLoginSource implements TokenSource {
  private constructor(
    private readonly remote: Remote,
    private readonly store: TokenStore,
    private login: StoredLogin,
  ) {}

  /** AUTH_REQUIRED when this remote was never logged into (or was logged out of). */
  static async open(remote: Remote): Promise<StoredLoginSource> {
    const store = tokenStoreFor(remote);
    const login = await store.load();
    if (!login) throw new MaiError('AUTH_REQUIRED', `not logged in to "${remote.name}"; run "mai -r ${remote.name} auth"`);
    return new StoredLoginSource(remote, store, login);
  }

  get user(): string {
    return this.login.user;
  }

  async accessToken(): Promise<string> {
    if (this.login.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS) return this.login.accessToken;
    return this.refresh(this.login.accessToken);
  }

  renewAfterRejection(stale: string): Promise<string> {
    return this.refresh(stale);
  }

  private async refresh(stale: string): Promise<string> {
    return this.locked(async () => {
      // Another CLI may have refreshed while we waited for the lock: use its tokens.
      const current = await this.store.load();
      if (!current) throw new MaiError('AUTH_REQUIRED', `not logged in to "${this.remote.name}"; run "mai -r ${this.remote.name} auth"`);
      if (current.accessToken !== stale && current.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS) {
        this.login = current;
        return current.accessToken;
      }
      if (!current.refreshToken) throw loginAgain(this.remote, `"${this.remote.name}" no longer accepts your token`);
      if (current.refreshExpiresAt <= Date.now()) throw loginAgain(this.remote, `your login to "${this.remote.name}" has expired`);
      let pair: TokenPair;
      try {
        pair = await new ApiClient(this.remote).json<TokenPair>('POST', '/auth/refresh', { body: { refreshToken: current.refreshToken } });
      } catch (err) {
        if (err instanceof MaiError && (err.code === 'AUTH_FAILED' || err.code === 'AUTH_FORBIDDEN')) {
          throw loginAgain(this.remote, `your login to "${this.remote.name}" has expired or was revoked`, err);
        }
        throw err;
      }
      this.login = storedLogin(this.remote, pair);
      await this.store.save(this.login);
      return this.login.accessToken;
    });
  }

  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const lock = this.remote.paths.refreshLock;
    const deadline = Date.now() + LOCK_WAIT_MS;
    while (!(await createPrivateFile(lock, `${process.pid}\n`))) {
      const age = await fs.stat(lock).then((st) => Date.now() - st.mtimeMs, () => 0);
      if (age > LOCK_STALE_MS) await removeFile(lock);
      else if (Date.now() > deadline) throw new MaiError('AUTH_EXPIRED', `another mai is refreshing the login (${lock}); try again`);
      else await new Promise((r) => setTimeout(r, 100));
    }
    try {
      return await fn();
    } finally {
      await removeFile(lock);
    }
  }
}
