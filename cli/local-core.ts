import { userInfo } from 'node:os';
import { join } from 'node:path';
import { DriverCatalog } from '../gateway/domain/driver-catalog.js';
import { packageRoot } from '../drivers/package-root.js';
import { DockerBackend } from '../gateway/backend/docker-backend.js';
import { openDomainCore } from '../gateway/domain/core-wiring.js';
import { SessionLifecycle } from '../gateway/domain/lifecycle.js';
import { LOCAL_POLICY } from '../gateway/domain/policy.js';
import { LABEL_INSTANCE, type SessionService } from '../gateway/domain/session-service.js';
import type { ProjectService } from '../gateway/domain/project-service.js';
import type { ToolSettings } from '../gateway/domain/tool-settings.js';
import type { Actor } from '../gateway/domain/types.js';
import { openStore } from '../gateway/store/open-store.js';
import type { Store } from '../gateway/store/store.js';
import type { CliConfig } from './cli-config.js';

/** The domain core wired for local mode: the user's Docker engine and an SQLite file in the data dir. */
export interface LocalCore {
  sessions: SessionService;
  projects: ProjectService;
  tools: ToolSettings;
  backend: DockerBackend;
  drivers: DriverCatalog;
  actor: Actor;
  /** Not on a timer here: one pass per command ends sessions past their `--ttl` and prunes recordings. */
  lifecycle: SessionLifecycle;
  close(): Promise<void>;
}

/** Only what `mai driver ...` needs: no store, no engine connection until used. */
export function localDrivers(config: CliConfig): DriverCatalog {
  return new DriverCatalog(join(packageRoot(), 'drivers'), config.drivers);
}

export async function openLocalCore(config: CliConfig, dataDir: string): Promise<LocalCore> {
  const drivers = localDrivers(config);
  const backend = new DockerBackend({ socketPath: config.docker.socket });
  const store: Store = await openStore({ dataDir });
  // One listing per command (a command lives a moment: no event stream), shared by its reconcile and what it does.
  const containers = backend.watch({ [LABEL_INSTANCE]: await store.instanceId() });
  await containers.start({ follow: false });
  // The local project key is a file in the data dir unless the config names one (${PROJECT_ENCRYPTION_KEY}).
  // The user's own machine: no quotas; sessions get the config's egress unless they ask for another.
  const policy = { ...LOCAL_POLICY, egress: { default: config.egress.default, forced: false } };
  const { sessions, projects, tools, lifecycle: settings, recordings } = await openDomainCore(config, { store, backend, containers, drivers, dataDir, shared: false, policy });
  const lifecycle = new SessionLifecycle({ store, sessions, settings, recordings });
  // The local "user" is the OS account; the local store holds only its sessions.
  const actor: Actor = { name: userInfo().username, admin: false };
  return { sessions, projects, tools, backend, drivers, actor, lifecycle, close: () => store.close() };
}
