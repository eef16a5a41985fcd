import type { ContainerBackend, ContainerStates } from '../backend/backend.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { DriverCatalog } from './driver-catalog.js';
import type { Events } from './events.js';
import type { ProjectService } from './project-service.js';

/** Label naming the store a container belongs to, so two mai instances on one engine never touch each other's. */
export const LABEL_INSTANCE = 'mai.instance';

/** What the session parts (create, reconcile, the service itself) share; wired once in `SessionService`. */
export interface SessionDeps {
  readonly store: Store;
  readonly backend: ContainerBackend;
  /** This instance's containers as the engine reports them (in memory on a server, listed per read in the CLI). */
  readonly containers: ContainerStates;
  readonly drivers: DriverCatalog;
  /** Identifies this store's containers on a shared engine. */
  readonly instanceId: string;
  readonly defaultDriver: string;
  readonly network: string | undefined;
  /**
   * Whether non-admin users may mount host paths and volumes. True for the local
   * CLI (the user's own machine); false on a shared server, where a bind mount
   * would reach the server's disk and a volume name another user's data.
   */
  readonly allowVolumes: boolean;
  /** Stored projects; a session's `projectUrl` is looked up here for its owner. */
  readonly projects: ProjectService | undefined;
  /** Git hosts whose SSH host keys a session may fetch itself (`projects.default_ssh_scan`). */
  readonly sshScanHosts: readonly string[];
  readonly events: Events;
  readonly log: Logger;
  readonly now: () => Date;
}
