import { projectKeyFrom, type BoxKeyPair } from '../../keys/secret-box.js';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ProjectStore } from '../store/project-store.js';
import { loadOrCreateProjectKeyFile } from './project-keys.js';
import type { Events } from './events.js';
import { ProjectService } from './project-service.js';

export interface ProjectWiring {
  store: ProjectStore;
  dataDir: string;
  /** From `loadAtRestKey`. */
  key: Uint8Array;
  /** The server's X25519 key pair for sealed secrets from remote CLIs (`loadOrCreateBoxKeyPair`); absent locally. */
  boxKeys?: BoxKeyPair | undefined;
  events?: Events;
}

/**
 * The process's key for secrets at rest (project credentials, the identity
 * provider's refresh tokens): `projects.storage.key` (PROJECT_ENCRYPTION_KEY), or,
 * when empty or absent, a key file made once in the data dir.
 */
export async function loadAtRestKey(options: { dataDir: string; configuredKey?: string | undefined; log?: Logger }): Promise<Uint8Array> {
  const log = options.log ?? silentLogger;
  const configured = options.configuredKey?.trim();
  if (!configured) {
    // Fine for one node; replicas sharing a database must share the key, hence the warning.
    log.warn('projects.key_file', { message: 'projects.storage.key is not set; using the key file in the data dir' });
  }
  try {
    return await projectKeyFrom(configured || (await loadOrCreateProjectKeyFile(options.dataDir)));
  } catch (err) {
    if (err instanceof MaiError) throw err;
    throw new MaiError('CONFIG_INVALID', `projects.storage.key: ${err instanceof Error ? err.message : 'invalid'}`, { cause: err });
  }
}

/** The ProjectService of a process (server or local CLI). */
export function openProjectService(options: ProjectWiring): ProjectService {
  const { key, boxKeys } = options;
  return new ProjectService({ store: options.store, key, ...(boxKeys ? { boxKeys } : {}), ...(options.events ? { events: options.events } : {}) });
}
