import { projectKeyFrom } from '../../keys/secret-box.js';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { ProjectStore } from '../store/project-store.js';
import { loadOrCreateBoxKeyPair, loadOrCreateProjectKeyFile } from './project-keys.js';
import { ProjectService } from './project-service.js';

export interface ProjectWiring {
  store: ProjectStore;
  dataDir: string;
  /** `projects.storage.key` (PROJECT_ENCRYPTION_KEY); empty or absent: a key file in the data dir. */
  configuredKey?: string | undefined;
  /** The server: also the X25519 key pair for sealed secrets from remote CLIs. */
  sealing: boolean;
  log?: Logger;
}

/** The ProjectService of a process (server or local CLI), with its at-rest key. */
export async function openProjectService(options: ProjectWiring): Promise<ProjectService> {
  const log = options.log ?? silentLogger;
  const configured = options.configuredKey?.trim();
  if (!configured) {
    // Fine for one node; replicas sharing a database must share the key, hence the warning.
    log.warn('projects.key_file', { message: 'projects.storage.key is not set; using the key file in the data dir' });
  }
  let key: Uint8Array;
  try {
    key = await projectKeyFrom(configured || (await loadOrCreateProjectKeyFile(options.dataDir)));
  } catch (err) {
    if (err instanceof MaiError) throw err;
    throw new MaiError('CONFIG_INVALID', `projects.storage.key: ${err instanceof Error ? err.message : 'invalid'}`, { cause: err });
  }
  const boxKeys = options.sealing ? await loadOrCreateBoxKeyPair(options.dataDir, key) : undefined;
  return new ProjectService({ store: options.store, key, ...(boxKeys ? { boxKeys } : {}), log });
}
