import { MaiError } from '../../gateway/errors.js';
import { ApiClient } from './api-client.js';
import { removeFile } from './private-files.js';
import type { Remote } from './remotes.js';
import { StoredLoginSource, tokenStoreFor } from './stored-login.js';

/** How long a logout waits for the server; the local credentials go either way. */
const LOGOUT_TIMEOUT_MS = 10_000;

/**
 * Ends this CLI's login to `remote`: the server revokes its tokens and certificates
 * (so the written ssh config stops working), then the token file and the certificate
 * are deleted. The key stays, for the next login. A server that cannot be reached
 * does not keep the user logged in here: the local credentials are removed anyway,
 * and the user is told the server still honours them until they expire.
 * Returns false when there was no login.
 */
export async function revokeLogin(remote: Remote, options: { quiet?: boolean } = {}): Promise<boolean> {
  const store = tokenStoreFor(remote);
  const login = await store.load().catch(() => null);
  if (!login) {
    await removeFile(remote.paths.cert);
    return false;
  }
  try {
    const api = new ApiClient(remote, await StoredLoginSource.open(remote));
    await api.json('POST', '/auth/logout', { body: {}, timeoutMs: LOGOUT_TIMEOUT_MS });
  } catch (err) {
    if (!(err instanceof MaiError)) throw err;
    // AUTH_*: the server already considers this login over, which is what we want.
    if (!err.code.startsWith('AUTH_') && !options.quiet) {
      process.stderr.write(`mai: warning: ${err.message}; the login was removed here, but the server still honours it until it expires\n`);
    }
  }
  await store.remove();
  await removeFile(remote.paths.cert);
  return true;
}
