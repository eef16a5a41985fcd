import { LABEL_DRIVER, LABEL_OWNER, LABEL_SESSION, type ContainerFile } from '../backend/backend.js';
import { MaiError } from '../errors.js';
import type { Driver } from './driver-catalog.js';
import { ensureDriverImage, type Progress } from './driver-builder.js';
import { newSessionId } from './ids.js';
import { SESSION_USER_ID, type SessionProject } from './project-service.js';
import { parseProjectUrl } from './project-url.js';
import { persistVolumes, secretEnvFiles, splitSensitiveEnv } from './session-extras.js';
import { DEFAULT_LIMITS, validateCreateRequest, type CreateSessionRequest } from './session-request.js';
import { LABEL_INSTANCE, type SessionDeps } from './session-deps.js';
import type { Actor, SessionRecord } from './types.js';

/**
 * Creates and starts a session. Either both the row and the running container
 * exist afterwards, or neither does.
 *
 * Order: everything that only reads (the request, the driver, the environment,
 * the project, the name) is checked before anything slow or lasting happens (an
 * image build, a row, a container), so bad input costs nothing and leaves nothing.
 */
export async function createSession(deps: SessionDeps, owner: Actor, request: CreateSessionRequest, onProgress: Progress): Promise<SessionRecord> {
  const valid = validateCreateRequest(request);
  if (valid.volumes.length > 0 && !deps.allowVolumes && !owner.admin) {
    throw new MaiError('AUTH_FORBIDDEN', 'volumes cannot be mounted on this server');
  }
  const driver = deps.drivers.get(valid.driver ?? deps.defaultDriver);
  // Sensitive values (API keys) travel as files, like git credentials, never as container env.
  const { env, secret } = splitSensitiveEnv(driver, resolveEnv(driver, valid.env));
  const project = valid.projectUrl ? await projectFor(deps, owner, valid.projectUrl) : null;
  if (valid.name && (await deps.store.findSessionByName(owner.name, valid.name))) {
    throw new MaiError('SESSION_NAME_TAKEN', `a session named "${valid.name}" already exists`);
  }
  // Tool settings kept per (owner, driver); mounted even where user volumes are not allowed.
  const persisted = persistVolumes(owner.name, driver);
  // The first engine call: without an engine it fails as a ping would (DOCKER_UNAVAILABLE), so no ping before it.
  await ensureDriverImage(deps.backend, deps.drivers, driver, onProgress);

  const id = newSessionId();
  const stamp = deps.now().toISOString();
  const limits = {
    cpus: valid.limits.cpus ?? DEFAULT_LIMITS.cpus,
    memoryMb: valid.limits.memoryMb ?? DEFAULT_LIMITS.memoryMb,
    pids: valid.limits.pids ?? DEFAULT_LIMITS.pids,
  };
  const volumes = [...valid.volumes, ...persisted];
  const record: SessionRecord = {
    id,
    name: valid.name ?? id,
    owner: owner.name,
    driver: driver.manifest.name,
    image: driver.image,
    status: 'creating',
    containerId: null,
    projectUrl: project?.cloneUrl ?? valid.projectUrl ?? null,
    spec: {
      envKeys: [...Object.keys(env), ...Object.keys(secret)].sort(),
      volumes,
      ports: valid.ports,
      limits,
      // Kept with the session: a custom driver loaded from a folder is not in the catalog later.
      attach: driver.manifest.attach,
    },
    createdAt: stamp,
    updatedAt: stamp,
  };
  // The unique (owner, name) index settles a race with a concurrent create of the same name.
  await deps.store.insertSession(record);

  let containerId: string | null = null;
  try {
    containerId = await deps.backend.create({
      name: `mai-${id}`,
      image: driver.image,
      labels: {
        [LABEL_SESSION]: id,
        [LABEL_OWNER]: owner.name,
        [LABEL_DRIVER]: driver.manifest.name,
        [LABEL_INSTANCE]: deps.instanceId,
      },
      env: {
        ...env,
        MAI_SESSION_ID: id,
        MAI_SESSION_NAME: record.name,
        MAI_DRIVER: driver.manifest.name,
        ...(record.projectUrl ? { MAI_PROJECT_URL: record.projectUrl } : {}),
        ...project?.env,
      },
      volumes,
      ports: valid.ports,
      limits,
      network: deps.network,
    });
    const started = containerId;
    // Before start: mai-init.sh and mai-tool-env read these as the container comes up.
    const files = [...(project?.files ?? []), ...secretEnvFiles(secret)];
    if (project) files.push(scanHostsFile(deps.sshScanHosts));
    onProgress(`starting session ${id}`);
    // The row learns its container while the container starts: neither needs the other.
    // (Sequential, and why: the row before the container, so reconcile never takes a
    // starting session for an orphan; the files before the start, which reads them.)
    await Promise.all([
      deps.store.updateSession(id, { containerId }),
      (async () => {
        await deps.backend.writeFiles(started, files);
        await deps.backend.start(started);
      })(),
    ]);
    const created = (await deps.store.updateSession(id, { status: 'running' })) ?? { ...record, containerId, status: 'running' };
    deps.events.emit('session.created', { session: id, owner: owner.name, driver: driver.manifest.name, name: record.name, via: owner.via });
    return created;
  } catch (err) {
    await discard(deps, id, containerId);
    throw err;
  }
}

/** The owner's stored project for `url` (its URL and credentials), or the URL as given. */
async function projectFor(deps: SessionDeps, owner: Actor, url: string): Promise<SessionProject> {
  if (deps.projects) return deps.projects.forSession(owner.name, url);
  // Without a project store (tests, minimal wiring) the URL is only checked, not looked up.
  if (!url.startsWith('/')) parseProjectUrl(url);
  return { cloneUrl: url, files: [], env: {} };
}

function scanHostsFile(hosts: readonly string[]): ContainerFile {
  const content = hosts.length ? `${hosts.join('\n')}\n` : '';
  return { path: '/run/mai/ssh/scan-hosts', content, mode: 0o444, uid: SESSION_USER_ID, gid: SESSION_USER_ID };
}

/** Undoes a failed create; failures here are logged, the original error wins. */
async function discard(deps: SessionDeps, id: string, containerId: string | null): Promise<void> {
  try {
    if (containerId) await deps.backend.remove(containerId);
    await deps.store.deleteSession(id);
  } catch (err) {
    deps.log.error('session.discard_failed', { session: id, error: String(err) });
  }
}

/** Driver defaults, operator overrides, then the user's values; required variables must end up set. */
function resolveEnv(driver: Driver, userEnv: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const variable of driver.manifest.environment) {
    if (variable.default !== undefined && !variable.name.startsWith('MAI_')) env[variable.name] = variable.default;
  }
  Object.assign(env, driver.env, userEnv);
  const missing = driver.manifest.environment.filter((v) => v.required && !v.name.startsWith('MAI_') && !(v.name in env));
  if (missing.length) {
    const names = missing.map((v) => v.name).join(', ');
    throw new MaiError('INPUT_INVALID', `driver ${driver.manifest.name} needs ${names} (pass -e ${missing[0]!.name}=...)`);
  }
  return env;
}
