import type { Readable } from 'node:stream';
import { ensureDriverImage, type Progress } from '../../drivers/driver-builder.js';
import type { Driver, DriverCatalog } from '../../drivers/driver-catalog.js';
import {
  LABEL_DRIVER,
  LABEL_OWNER,
  LABEL_SESSION,
  SESSION_ENDED_EXIT_CODE,
  type ContainerBackend,
  type ContainerInfo,
  type ExecOptions,
  type ExecProcess,
} from '../backend/backend.js';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Store } from '../store/store.js';
import { newSessionId, SESSION_ID } from './ids.js';
import { SESSION_USER_ID, type ProjectService, type SessionProject } from './project-service.js';
import { parseProjectUrl } from './project-url.js';
import { persistVolumes, secretEnvFiles, splitSensitiveEnv } from './session-extras.js';
import { DEFAULT_LIMITS, validateCreateRequest, type CreateSessionRequest } from './session-request.js';
import type { Actor, SessionRecord, SessionStatus } from './types.js';

/** Label naming the store a container belongs to, so two mai instances on one engine never touch each other's. */
export const LABEL_INSTANCE = 'mai.instance';
/** A row still 'creating' after this long belongs to a process that died mid-create. */
const STALE_CREATE_MS = 10 * 60_000;

export interface SessionServiceOptions {
  store: Store;
  backend: ContainerBackend;
  drivers: DriverCatalog;
  /** Identifies this store's containers on a shared engine. */
  instanceId: string;
  defaultDriver: string;
  network?: string;
  /**
   * Whether non-admin users may mount host paths and volumes. True for the local
   * CLI (the user's own machine); false on a shared server, where a bind mount
   * would reach the server's disk and a volume name another user's data.
   */
  allowVolumes: boolean;
  /** Stored projects; a session's `projectUrl` is looked up here for its owner. */
  projects?: ProjectService;
  /** Git hosts whose SSH host keys a session may fetch itself (`projects.default_ssh_scan`). */
  sshScanHosts?: string[];
  log?: Logger;
  now?: () => Date;
}

export interface ReconcileReport {
  orphansRemoved: number;
  markedMissing: number;
  ended: number;
  staleCreatesDeleted: number;
}

/**
 * The domain core: every front end (CLI local mode, SSH gateway, REST) creates,
 * finds, reaches and closes sessions only through this class, so each rule
 * (ownership, naming, labels, limits) lives here once.
 */
export class SessionService {
  private readonly log: Logger;
  private readonly now: () => Date;

  constructor(private readonly options: SessionServiceOptions) {
    this.log = options.log ?? silentLogger;
    this.now = options.now ?? (() => new Date());
  }

  get drivers(): DriverCatalog {
    return this.options.drivers;
  }

  /**
   * Creates and starts a session. Either both the row and the running container
   * exist afterwards, or neither does.
   */
  async create(owner: Actor, request: CreateSessionRequest, onProgress: Progress = () => {}): Promise<SessionRecord> {
    const valid = validateCreateRequest(request);
    if (valid.volumes.length > 0 && !this.options.allowVolumes && !owner.admin) {
      throw new MaiError('AUTH_FORBIDDEN', 'volumes cannot be mounted on this server');
    }
    const driver = this.options.drivers.get(valid.driver ?? this.options.defaultDriver);
    // Sensitive values (API keys) travel as files, like git credentials, never as container env.
    const { env, secret } = splitSensitiveEnv(driver, resolveEnv(driver, valid.env));
    const project = valid.projectUrl ? await this.projectFor(owner, valid.projectUrl) : null;
    // Tool settings kept per (owner, driver); mounted even where user volumes are not allowed.
    const persisted = persistVolumes(owner.name, driver);
    await this.options.backend.ping();
    await ensureDriverImage(this.options.backend, this.options.drivers, driver, onProgress);

    const id = newSessionId();
    const stamp = this.now().toISOString();
    const limits = {
      cpus: valid.limits.cpus ?? DEFAULT_LIMITS.cpus,
      memoryMb: valid.limits.memoryMb ?? DEFAULT_LIMITS.memoryMb,
      pids: valid.limits.pids ?? DEFAULT_LIMITS.pids,
    };
    const record: SessionRecord = {
      id,
      name: valid.name ?? id,
      owner: owner.name,
      driver: driver.manifest.name,
      image: driver.image,
      status: 'creating',
      containerId: null,
      projectUrl: project?.cloneUrl ?? valid.projectUrl ?? null,
      spec: { envKeys: [...Object.keys(env), ...Object.keys(secret)].sort(), volumes: [...valid.volumes, ...persisted], ports: valid.ports, limits },
      createdAt: stamp,
      updatedAt: stamp,
    };
    if (valid.name && (await this.options.store.findSessionByName(owner.name, valid.name))) {
      throw new MaiError('SESSION_NAME_TAKEN', `a session named "${valid.name}" already exists`);
    }
    await this.options.store.insertSession(record);

    let containerId: string | null = null;
    try {
      containerId = await this.options.backend.create({
        name: `mai-${id}`,
        image: driver.image,
        labels: {
          [LABEL_SESSION]: id,
          [LABEL_OWNER]: owner.name,
          [LABEL_DRIVER]: driver.manifest.name,
          [LABEL_INSTANCE]: this.options.instanceId,
        },
        env: {
          ...env,
          MAI_SESSION_ID: id,
          MAI_SESSION_NAME: record.name,
          MAI_DRIVER: driver.manifest.name,
          ...(record.projectUrl ? { MAI_PROJECT_URL: record.projectUrl } : {}),
          ...project?.env,
        },
        volumes: [...valid.volumes, ...persisted],
        ports: valid.ports,
        limits,
        network: this.options.network,
      });
      await this.options.store.updateSession(id, { containerId });
      // Before start: mai-init.sh and mai-tool-env read these as the container comes up.
      const files = [...(project?.files ?? []), ...secretEnvFiles(secret)];
      if (project) files.push(this.scanHostsFile());
      await this.options.backend.writeFiles(containerId, files);
      onProgress(`starting session ${id}`);
      await this.options.backend.start(containerId);
      const created = await this.options.store.updateSession(id, { status: 'running' });
      this.log.info('session.created', { session: id, owner: owner.name, driver: driver.manifest.name });
      return created ?? { ...record, containerId, status: 'running' };
    } catch (err) {
      await this.discard(id, containerId);
      throw err;
    }
  }

  /** The owner's stored project for `url` (its URL and credentials), or the URL as given. */
  private async projectFor(owner: Actor, url: string): Promise<SessionProject> {
    if (this.options.projects) return this.options.projects.forSession(owner.name, url);
    // Without a project store (tests, minimal wiring) the URL is only checked, not looked up.
    if (!url.startsWith('/')) parseProjectUrl(url);
    return { cloneUrl: url, files: [], env: {} };
  }

  private scanHostsFile() {
    const hosts = this.options.sshScanHosts ?? [];
    const content = hosts.length ? `${hosts.join('\n')}\n` : '';
    return { path: '/run/mai/ssh/scan-hosts', content, mode: 0o444, uid: SESSION_USER_ID, gid: SESSION_USER_ID };
  }

  /** Resolves when the store and the engine both answer (readiness). */
  async ready(): Promise<void> {
    await this.options.backend.ping();
    await this.options.store.instanceId();
  }

  /** Sessions visible to the actor (admins with `all`: everyone's), status refreshed from the engine. */
  async list(actor: Actor, options: { all?: boolean } = {}): Promise<SessionRecord[]> {
    const rows = await this.options.store.listSessions(actor.admin && options.all ? undefined : actor.name);
    const containers = await this.containersBySession();
    return Promise.all(rows.map((row) => this.refreshStatus(row, containers.get(row.id))));
  }

  /**
   * A session by id or name, if the actor may reach it. Anything else, including
   * someone else's session, is SESSION_NOT_FOUND: its existence is not disclosed.
   */
  async find(actor: Actor, ref: string): Promise<SessionRecord> {
    const store = this.options.store;
    const byId = SESSION_ID.test(ref) ? await store.getSession(ref) : null;
    const session = byId && (byId.owner === actor.name || actor.admin) ? byId : await store.findSessionByName(actor.name, ref);
    if (!session || session.status === 'creating') throw new MaiError('SESSION_NOT_FOUND', `no such session: ${ref}`);
    return session;
  }

  /** Starts the session's container when it is stopped; progress lines go to `onProgress`. */
  async ensureRunning(session: SessionRecord, onProgress: Progress = () => {}): Promise<SessionRecord> {
    const info = session.containerId ? await this.options.backend.inspect(session.containerId) : null;
    if (!info || !session.containerId) {
      await this.options.store.updateSession(session.id, { status: 'missing' });
      throw new MaiError(
        'SESSION_NOT_RUNNING',
        `session ${session.id}'s container is gone; close it with "mai session close ${session.id}"`,
      );
    }
    if (info.state === 'running') return session;
    if (await this.closeIfEnded(session, info)) {
      throw new MaiError('SESSION_NOT_FOUND', `no such session: ${session.id} (it was ended with mai stop)`);
    }
    onProgress(`session ${session.id} is ${info.state}; starting it...`);
    await this.options.backend.start(session.containerId);
    this.log.info('session.started', { session: session.id });
    return (await this.options.store.updateSession(session.id, { status: 'running' })) ?? session;
  }

  /** Closes the session if its user ended it with `mai stop`; true when it did. */
  async closeIfEnded(session: SessionRecord, known?: ContainerInfo | null): Promise<boolean> {
    const info = known ?? (session.containerId ? await this.options.backend.inspect(session.containerId) : null);
    if (!info || !endedFromInside(info)) return false;
    await this.close(session);
    return true;
  }

  /** Runs a process in the session, starting the container first if needed. */
  async exec(session: SessionRecord, options: ExecOptions, onProgress?: Progress): Promise<ExecProcess> {
    const running = await this.ensureRunning(session, onProgress);
    return this.options.backend.exec(running.containerId!, options);
  }

  /** What a terminal attach runs for this session's driver. */
  attachCommand(session: SessionRecord): string[] {
    try {
      return this.options.drivers.get(session.driver).manifest.attach;
    } catch {
      return ['bash', '-l'];
    }
  }

  async logs(session: SessionRecord, options: { follow: boolean; tail?: number }): Promise<Readable> {
    if (!session.containerId) throw new MaiError('SESSION_NOT_RUNNING', `session ${session.id} has no container`);
    return this.options.backend.logs(session.containerId, options);
  }

  /** Removes the container (with its anonymous volumes) and then the row. */
  async close(session: SessionRecord): Promise<void> {
    if (session.containerId) await this.options.backend.remove(session.containerId);
    await this.options.store.deleteSession(session.id);
    this.log.info('session.closed', { session: session.id, owner: session.owner });
  }

  /** Closes every session the actor owns; returns the ids closed. */
  async closeAll(actor: Actor): Promise<string[]> {
    const sessions = await this.options.store.listSessions(actor.name);
    for (const session of sessions) await this.close(session);
    return sessions.map((s) => s.id);
  }

  /**
   * Brings the store and the engine back in line after a crash or restart:
   * containers without a row are removed, rows whose container vanished are
   * marked missing, sessions ended with `mai stop` are closed, abandoned creates dropped.
   */
  async reconcile(): Promise<ReconcileReport> {
    const report: ReconcileReport = { orphansRemoved: 0, markedMissing: 0, ended: 0, staleCreatesDeleted: 0 };
    const containers = await this.containersBySession();
    const rows = await this.options.store.listSessions();
    const known = new Set(rows.map((r) => r.id));
    for (const [sessionId, info] of containers) {
      if (known.has(sessionId)) continue;
      await this.options.backend.remove(info.id);
      report.orphansRemoved++;
      this.log.warn('reconcile.orphan_removed', { session: sessionId, container: info.id });
    }
    for (const row of rows) {
      const info = containers.get(row.id);
      if (row.status === 'creating') {
        if (!info && this.now().getTime() - Date.parse(row.updatedAt) > STALE_CREATE_MS) {
          await this.options.store.deleteSession(row.id);
          report.staleCreatesDeleted++;
        }
      } else if (info && (await this.closeIfEnded(row, info))) {
        report.ended++;
      } else if (!info && row.status !== 'missing') {
        await this.options.store.updateSession(row.id, { status: 'missing' });
        report.markedMissing++;
        this.log.warn('reconcile.marked_missing', { session: row.id });
      } else if (info) {
        await this.refreshStatus(row, info);
      }
    }
    return report;
  }

  /** Our containers on the engine, keyed by session id. */
  private async containersBySession(): Promise<Map<string, ContainerInfo>> {
    const containers = await this.options.backend.list({ [LABEL_INSTANCE]: this.options.instanceId });
    return new Map(containers.map((c) => [c.labels[LABEL_SESSION] ?? '', c]));
  }

  private async refreshStatus(row: SessionRecord, info: ContainerInfo | undefined): Promise<SessionRecord> {
    if (row.status === 'creating') return row;
    const status: SessionStatus = !info ? 'missing' : info.state === 'running' ? 'running' : 'stopped';
    if (status === row.status) return row;
    return (await this.options.store.updateSession(row.id, { status })) ?? { ...row, status };
  }

  /** Undoes a failed create; failures here are logged, the original error wins. */
  private async discard(id: string, containerId: string | null): Promise<void> {
    try {
      if (containerId) await this.options.backend.remove(containerId);
      await this.options.store.deleteSession(id);
    } catch (err) {
      this.log.error('session.discard_failed', { session: id, error: String(err) });
    }
  }
}

/** A container whose user ran `mai stop` inside it. */
function endedFromInside(info: ContainerInfo): boolean {
  return info.state === 'exited' && info.exitCode === SESSION_ENDED_EXIT_CODE;
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
