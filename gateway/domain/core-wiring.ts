import { join } from 'node:path';
import type { ContainerBackend, ContainerStates } from '../backend/backend.js';
import type { RecordingConfig } from '../config/units.js';
import type { Logger } from '../log.js';
import type { LoggingProviderConfig } from '../config/logging-providers.js';
import type { Store } from '../store/store.js';
import type { DriverCatalog } from './driver-catalog.js';
import type { Events } from './events.js';
import type { Policy } from './policy.js';
import type { ProjectService } from './project-service.js';
import { loadOrCreateBoxKeyPair } from './project-keys.js';
import { NO_LIFECYCLE, type LifecycleSettings } from './lifecycle-rules.js';
import { loadAtRestKey, openProjectService } from './project-wiring.js';
import { Recordings } from './recordings.js';
import { SessionService } from './session-service.js';
import { sessionTelemetry } from './session-telemetry.js';
import { ToolSettings, type ConfiguredTools } from './tool-settings.js';

/** The settings the core reads; the CLI's config and the service config both have them. */
export interface CoreConfig extends ConfiguredTools {
  defaultDriver: string;
  docker: { network: string };
  projects: { storage: { key?: string | undefined }; default_ssh_scan: string[] };
  /** Recording everywhere; the lifecycle settings on a server only. */
  sessions: {
    recording: RecordingConfig;
    idleTimeout?: number | undefined;
    idleAction?: 'stop' | 'close';
    maxLifetime?: number | undefined;
    warnBefore?: number;
  };
  /** The server's logging providers (the CLI has none). */
  logging?: { providers: readonly LoggingProviderConfig[] };
}

export interface CoreParts {
  store: Store;
  backend: ContainerBackend;
  /** The instance's containers, watched by the server; the CLI lists them per read (the default). */
  containers?: ContainerStates;
  drivers: DriverCatalog;
  dataDir: string;
  /** A server (remote CLIs seal project secrets to its key pair), not the user's own machine. */
  shared: boolean;
  /** What users may do; `LOCAL_POLICY` on the user's own machine. */
  policy: Policy;
  /** Where the core's facts go; the server subscribes its audit log and providers. */
  events?: Events;
  log?: Logger;
}

/**
 * The domain core of one process, wired from its config the same way for
 * `mai serve` and the local CLI: the at-rest key, projects, model providers and MCP
 * servers, and sessions.
 */
export async function openDomainCore(
  config: CoreConfig,
  parts: CoreParts,
): Promise<{
  sessions: SessionService;
  projects: ProjectService;
  tools: ToolSettings;
  atRestKey: Uint8Array;
  recordings: Recordings;
  lifecycle: LifecycleSettings;
}> {
  const { store, dataDir, shared, events, log } = parts;
  const lifecycle = lifecycleSettings(config.sessions);
  const { recording } = config.sessions;
  // Kept even with recording off: earlier recordings stay listed until their retention ends.
  const recordings = new Recordings(
    join(dataDir, 'recordings'),
    { enabled: recording.enabled, input: recording.input, maxBytes: recording.maxSize, retentionSeconds: recording.retention },
    log,
  );
  const atRestKey = await loadAtRestKey({ dataDir, configuredKey: config.projects.storage.key, ...(log ? { log } : {}) });
  const boxKeys = shared ? await loadOrCreateBoxKeyPair(dataDir, atRestKey) : undefined;
  const projects = openProjectService({ store: store.projects, dataDir, key: atRestKey, boxKeys, ...(events ? { events } : {}) });
  const tools = new ToolSettings({ store: store.tools, configured: config, key: atRestKey, ...(boxKeys ? { boxKeys } : {}), policy: parts.policy, ...(events ? { events } : {}) });
  const sessions = new SessionService({
    store,
    backend: parts.backend,
    ...(parts.containers ? { containers: parts.containers } : {}),
    drivers: parts.drivers,
    instanceId: await store.instanceId(),
    defaultDriver: config.defaultDriver,
    network: config.docker.network,
    policy: parts.policy,
    projects,
    tools,
    sshScanHosts: config.projects.default_ssh_scan,
    telemetry: sessionTelemetry(config.logging?.providers ?? []),
    ...(events ? { events } : {}),
    ...(log ? { log } : {}),
    lifecycle,
    recordings,
  });
  return { sessions, projects, tools, atRestKey, recordings, lifecycle };
}

function lifecycleSettings(config: CoreConfig['sessions']): LifecycleSettings {
  return {
    idleAction: config.idleAction ?? NO_LIFECYCLE.idleAction,
    warnBeforeSeconds: config.warnBefore ?? NO_LIFECYCLE.warnBeforeSeconds,
    ...(config.idleTimeout !== undefined ? { idleTimeoutSeconds: config.idleTimeout } : {}),
    ...(config.maxLifetime !== undefined ? { maxLifetimeSeconds: config.maxLifetime } : {}),
  };
}
