import type { ContainerBackend, ContainerStates } from '../backend/backend.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { DriverCatalog } from './driver-catalog.js';
import type { Events } from './events.js';
import type { ProjectService } from './project-service.js';
import { loadAtRestKey, openProjectService } from './project-wiring.js';
import { SessionService } from './session-service.js';

/** The settings the core reads; the CLI's config and the service config both have them. */
export interface CoreConfig {
  defaultDriver: string;
  docker: { network: string };
  projects: { storage: { key?: string | undefined }; default_ssh_scan: string[] };
}

export interface CoreParts {
  store: Store;
  backend: ContainerBackend;
  /** The instance's containers, watched by the server; the CLI lists them per read (the default). */
  containers?: ContainerStates;
  drivers: DriverCatalog;
  dataDir: string;
  /** A server's rules: users may not mount volumes, and remote CLIs seal project secrets to its key pair. */
  shared: boolean;
  /** Where the core's facts go; the server subscribes its audit log and providers. */
  events?: Events;
  log?: Logger;
}

/**
 * The domain core of one process, wired from its config the same way for
 * `mai serve` and the local CLI: the at-rest key, projects and sessions.
 */
export async function openDomainCore(
  config: CoreConfig,
  parts: CoreParts,
): Promise<{ sessions: SessionService; projects: ProjectService; atRestKey: Uint8Array }> {
  const { store, dataDir, shared, events, log } = parts;
  const atRestKey = await loadAtRestKey({ dataDir, configuredKey: config.projects.storage.key, ...(log ? { log } : {}) });
  const projects = await openProjectService({ store: store.projects, dataDir, key: atRestKey, sealing: shared, ...(events ? { events } : {}) });
  const sessions = new SessionService({
    store,
    backend: parts.backend,
    ...(parts.containers ? { containers: parts.containers } : {}),
    drivers: parts.drivers,
    instanceId: await store.instanceId(),
    defaultDriver: config.defaultDriver,
    network: config.docker.network,
    allowVolumes: !shared,
    projects,
    sshScanHosts: config.projects.default_ssh_scan,
    ...(events ? { events } : {}),
    ...(log ? { log } : {}),
  });
  return { sessions, projects, atRestKey };
}
