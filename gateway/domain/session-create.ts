import { LABEL_DRIVER, LABEL_OWNER, LABEL_SESSION, type ContainerFile } from '../backend/backend.js';
import { MaiError } from '../errors.js';
import type { Driver } from './driver-catalog.js';
import { ensureDriverImage, type Progress } from './driver-builder.js';
import { newSessionId } from './ids.js';
import { SESSION_USER_ID, type SessionProject } from './project-service.js';
import { parseProjectUrl } from './project-url.js';
import { persistVolumes, secretEnvFiles, splitSensitiveEnv } from './session-extras.js';
import { DEFAULT_LIMITS, validateCreateRequest, type CreateSessionRequest } from './session-request.js';
import { logForwarding, tracingEnv } from './session-telemetry.js';
import { LABEL_INSTANCE, type SessionDeps } from './session-deps.js';
import { checkCreate, checkSessionCount, egressFor, extraEgressHosts } from './policy.js';
import { formatEgress, parseEgress, withHosts } from './egress.js';
import { ensureEgressProxyImage, proxiedSshConfig } from './egress-proxy.js';
import { layoutSpec, planLayout, removeSidecars, sessionNetworking, startSidecars, type SessionLayout } from './session-sidecars.js';
import { planTools } from './session-tools.js';
import { chooseTools } from './tool-choice.js';
import { toolConfigFiles } from './tool-config-file.js';
import { checkTtl, lifetimeEnd } from './lifecycle-rules.js';
import type { Actor, SessionRecord, VolumeMount } from './types.js';

/**
 * Creates and starts a session. Either both the row and the running container
 * exist afterwards, or neither does.
 *
 * Order: everything that only reads (the request, the driver, the environment, the
 * model and MCP servers, the egress, the project, the name) is checked before anything
 * slow or lasting happens (an image build, a row, a network, a container), so bad input
 * costs nothing and leaves nothing. A failure after that removes everything made:
 * sidecars, network, container, row.
 */
export async function createSession(deps: SessionDeps, owner: Actor, request: CreateSessionRequest, onProgress: Progress): Promise<SessionRecord> {
  const valid = validateCreateRequest(request);
  // Unasked, a limit is the default, or the server's maximum where that is lower.
  const { maxLimits } = deps.policy.quotas;
  const limits = {
    cpus: valid.limits.cpus ?? Math.min(DEFAULT_LIMITS.cpus, maxLimits.cpus),
    memoryMb: valid.limits.memoryMb ?? Math.min(DEFAULT_LIMITS.memoryMb, maxLimits.memoryMb),
    pids: valid.limits.pids ?? Math.min(DEFAULT_LIMITS.pids, maxLimits.pids),
  };
  const askedEgress = egressFor(deps.policy, valid.egress === undefined ? undefined : parseEgress(valid.egress));
  checkCreate(deps.policy, owner, valid, limits, askedEgress);
  checkTtl(valid.ttl, deps.lifecycle);
  const ref = valid.driver ?? deps.defaultDriver;
  const driver = deps.policy.driverFolders ? deps.drivers.resolve(ref) : deps.drivers.get(ref);
  // Sensitive values (API keys) travel as files, like git credentials, never as container env.
  const { env, secret } = splitSensitiveEnv(driver, resolveEnv(driver, valid.env));
  const choice = await chooseTools(deps.tools, deps.policy, owner, driver.manifest, valid, onProgress);
  const tools = planTools(driver.manifest, choice);
  // What the user typed with -e wins over what the model settings would set.
  const toolEnv = withoutKeys(tools.env, valid.env);
  const toolSecrets = withoutKeys(tools.secretEnv, valid.env);
  const project = valid.projectUrl ? await projectFor(deps, owner, valid.projectUrl) : null;
  const cloneHost = project && !project.cloneUrl.startsWith('/') ? parseProjectUrl(project.cloneUrl).host : null;
  // An allow list lets the session do what it was configured for: clone, call its model, reach its MCP servers.
  const egress = withHosts(askedEgress, extraEgressHosts(deps.policy, { byOperator: tools.hosts.config, byUser: [...tools.hosts.user, ...(cloneHost ? [cloneHost] : [])] }));
  if (valid.name && (await deps.store.findSessionByName(owner.name, valid.name))) {
    throw new MaiError('SESSION_NAME_TAKEN', `a session named "${valid.name}" already exists`);
  }
  // Tool settings kept per (owner, driver); mounted even where user volumes are not allowed.
  const persisted = persistVolumes(owner.name, driver);
  // The first engine call: without an engine it fails as a ping would (DOCKER_UNAVAILABLE), so no ping before it.
  await checkVolumesOwned(deps, owner, persisted);
  for (const sidecar of tools.sidecars) {
    // Never pulled on a user's behalf: an MCP server's image is the operator's to provide.
    if (!(await deps.backend.imageExists(sidecar.image))) throw new MaiError('IMAGE_MISSING', `the image ${sidecar.image} of MCP server ${sidecar.name} is not on this Docker engine`);
  }
  await ensureDriverImage(deps.backend, deps.drivers, driver, onProgress, deps.buildArgs);
  if (egress.mode === 'allow') await ensureEgressProxyImage(deps.backend, onProgress, deps.buildArgs);

  const id = newSessionId();
  const layout = planLayout(id, egress, tools.sidecars);
  const created = deps.now();
  const stamp = created.toISOString();
  const expiresAt = lifetimeEnd(created, valid.ttl, deps.lifecycle);
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
      envKeys: [...new Set([...Object.keys(env), ...Object.keys(secret), ...Object.keys(toolEnv), ...Object.keys(toolSecrets)])].sort(),
      volumes,
      ports: valid.ports,
      limits,
      // Kept with the session: a custom driver loaded from a folder is not in the catalog later.
      attach: driver.manifest.attach,
      ...(choice.provider ? { model: `${choice.provider.name}/${choice.model}` } : {}),
      ...(choice.mcp.length ? { mcp: choice.mcp.map((m) => m.name) } : {}),
      egress: formatEgress(egress),
      ...layoutSpec(layout),
    },
    createdAt: stamp,
    updatedAt: stamp,
    lastActiveAt: stamp,
    ...(expiresAt ? { expiresAt } : {}),
  };
  // The unique (owner, name) index settles a race with a concurrent create of the same name.
  await byOwner(owner.name, async () => {
    // Counted and inserted as one step per owner in this process, so racing creates get exactly the quota.
    checkSessionCount(deps.policy, owner, (await deps.store.listSessions(owner.name)).length + 1);
    await deps.store.insertSession(record);
  });
  try {
    // Counted again with our row in: replicas sharing the store never together go over the quota.
    checkSessionCount(deps.policy, owner, (await deps.store.listSessions(owner.name)).length);
  } catch (err) {
    await discard(deps, id, null, layout);
    throw err;
  }

  let containerId: string | null = null;
  try {
    const context = { backend: deps.backend, sessionId: id, owner: owner.name, instanceId: deps.instanceId, sharedNetwork: deps.network };
    await startSidecars(context, layout, onProgress);
    const networking = sessionNetworking(layout, deps.network);
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
        ...toolEnv,
        ...networking.env,
        MAI_SESSION_ID: id,
        MAI_SESSION_NAME: record.name,
        MAI_DRIVER: driver.manifest.name,
        ...(record.projectUrl ? { MAI_PROJECT_URL: record.projectUrl } : {}),
        ...project?.env,
      },
      volumes,
      ports: valid.ports,
      limits,
      ...(networking.network ? { network: networking.network } : {}),
      ...(networking.networks?.length ? { networks: networking.networks } : {}),
      log: logForwarding(deps.telemetry, owner.name, id),
    });
    const started = containerId;
    // Before start: mai-init.sh and mai-tool-env read these as the container comes up.
    // The tool's trace export carries the Langfuse keys: secret files too, like API keys.
    const tracing = tracingEnv(driver.manifest.tracing, deps.telemetry, { session: id, owner: owner.name, driver: driver.manifest.name });
    const files = [...(project?.files ?? []), ...secretEnvFiles({ ...toolSecrets, ...secret, ...tracing })];
    if (project) files.push(scanHostsFile(deps.sshScanHosts));
    if (layout.proxy) files.push(proxiedSshConfig());
    if (tools.configFile) {
      // The tool's own settings, merged with what the last session left in the persisted volume.
      files.push(...(await toolConfigFiles(tools.configFile, (path, max) => deps.backend.readFile(started, path, max), onProgress)));
    }
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
    await discard(deps, id, containerId, layout);
    throw err;
  }
}

/** `values` without the keys the user set herself. */
function withoutKeys(values: Record<string, string>, user: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(values).filter(([key]) => !(key in user)));
}

const ownerQueues = new Map<string, Promise<unknown>>();

/** Runs `step` after every earlier step of the same owner (in this process), never two at once. */
function byOwner<T>(owner: string, step: () => Promise<T>): Promise<T> {
  const previous = ownerQueues.get(owner) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(step);
  ownerQueues.set(owner, next);
  void next.finally(() => {
    if (ownerQueues.get(owner) === next) ownerQueues.delete(owner);
  }).catch(() => undefined);
  return next;
}

/**
 * A persisted volume is mounted only into its owner's sessions: one that exists with
 * another owner's label (made by hand, or by an older mai whose names could collide)
 * is refused rather than handed over.
 */
async function checkVolumesOwned(deps: SessionDeps, owner: Actor, volumes: readonly VolumeMount[]): Promise<void> {
  for (const volume of volumes) {
    const labels = await deps.backend.volumeLabels(volume.source);
    if (labels && labels[LABEL_OWNER] !== owner.name) {
      deps.log.warn('session.volume_refused', { volume: volume.source, owner: owner.name });
      throw new MaiError('AUTH_FORBIDDEN', `the volume ${volume.source} belongs to someone else; ask the operator to remove it`);
    }
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
async function discard(deps: SessionDeps, id: string, containerId: string | null, layout: SessionLayout): Promise<void> {
  try {
    if (containerId) await deps.backend.remove(containerId);
    await removeSidecars(deps.backend, layoutSpec(layout));
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
