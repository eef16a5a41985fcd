import type { ContainerBackend, ContainerStates } from '../backend/backend.js';
import type { Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { DriverCatalog } from './driver-catalog.js';
import type { Events } from './events.js';
import type { LifecycleSettings } from './lifecycle-rules.js';
import type { Policy } from './policy.js';
import type { ProjectService } from './project-service.js';
import type { SessionTelemetry } from './session-telemetry.js';
import type { ToolSettings } from './tool-settings.js';

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
  /** Quotas, limits and which host resources users may name (local: `LOCAL_POLICY`). */
  readonly policy: Policy;
  /** Stored projects; a session's `projectUrl` is looked up here for its owner. */
  readonly projects: ProjectService | undefined;
  /** Model providers and MCP servers (the config's and each user's own); absent: none. */
  readonly tools: ToolSettings | undefined;
  /** Git hosts whose SSH host keys a session may fetch itself (`projects.default_ssh_scan`). */
  readonly sshScanHosts: readonly string[];
  /** Build arguments for driver images built on first use (`hostBuildArgs`: the machine's extra CAs). */
  readonly buildArgs: Record<string, string>;
  /** The server's logging providers as they concern sessions (output to Fluentd, traces to Langfuse). */
  readonly telemetry: SessionTelemetry;
  readonly events: Events;
  /** When sessions end by themselves: bounds a new session's `--ttl`. */
  readonly lifecycle: LifecycleSettings;
  readonly log: Logger;
  readonly now: () => Date;
}
