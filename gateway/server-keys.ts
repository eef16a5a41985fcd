import { join } from 'node:path';
import { loadOrCreateEd25519Key, type Ed25519KeyFile } from '../keys/index.js';
import { toMaiError } from './errors.js';

export const HOST_KEY_FILE = 'ssh_host_ed25519_key';
export const USER_CA_FILE = 'user_ca_ed25519_key';

/**
 * The gateway's host key and user CA, created once in the data dir and kept.
 * A bad key file is CONFIG_INVALID naming the file (keys/ says KEY_FILE; translated here).
 */
export async function loadServerKeys(dataDir: string): Promise<{ hostKey: Ed25519KeyFile; userCa: Ed25519KeyFile }> {
  try {
    const hostKey = await loadOrCreateEd25519Key(join(dataDir, HOST_KEY_FILE), 'mai-host');
    const userCa = await loadOrCreateEd25519Key(join(dataDir, USER_CA_FILE), 'mai-user-ca');
    return { hostKey, userCa };
  } catch (err) {
    throw toMaiError(err);
  }
}
