import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerBackend, ContainerInfo, ContainerStates, ExecOptions, ExecProcess } from '../backend/backend.js';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import type { Store } from '../store/store.js';
import type { DriverCatalog } from './driver-catalog.js';
import { hostBuildArgs, type Progress } from './driver-builder.js';
import { noEvents, type Events } from './events.js';
import { SESSION_ID } from './ids.js';
import type { Policy } from './policy.js';
import type { ProjectService } from './project-service.js';
import type { ToolSettings } from './tool-settings.js';
import { createSession } from './session-create.js';
import { removeSidecars, restartSidecars } from './session-sidecars.js';
import type { SessionDeps } from './session-deps.js';
import { containersBySession, endedFromInside, reconcileSessions, statusFor, type ReconcileReport } from './session-reconcile.js';
import { DEFAULT_LOG_TAIL, type CreateSessionRequest } from './session-request.js';
import { NO_LIFECYCLE, type LifecycleSettings } from './lifecycle-rules.js';
import type { RecordingInfo, Recordings } from './recordings.js';
import { attachTerminal, type AttachOptions } from './session-attach.js';
import { SessionClients } from './session-clients.js';
import type { SessionTelemetry } from './session-telemetry.js';
import type { Actor, SessionRecord } from './types.js';

import { LABEL_INSTANCE } from './session-deps.js';

export { LABEL_INSTANCE };
export type { ReconcileReport } from './session-reconcile.js';
export type { AttachOptions } from './session-attach.js';

export interface SessionServiceOptions {
  store: Store;
  backend: ContainerBackend;
  /**
   * This instance's containers, as `backend.watch` keeps them: the server starts
   * the watch (and closes it); by default an unstarted one, which lists on every read.
   */
  containers?: ContainerStates;
  drivers: DriverCatalog;
  /** Identifies this store's containers on a shared engine. */
  instanceId: string;
  defaultDriver: string;
  network?: string;
  /** Quotas and what users may name; `LOCAL_POLICY` on the user's own machine. */
  policy: Policy;
  projects?: ProjectService;
  /** Model providers and MCP servers sessions may name. */
  tools?: ToolSettings;
  sshScanHosts?: string[];
  /** Build arguments for driver images built on first use (default `hostBuildArgs()`). */
  buildArgs?: Record<string, string>;
  /** See `SessionDeps.telemetry`; none by default. */
  telemetry?: SessionTelemetry;
  /** Where the service's facts go (session.created, session.closed, ...). */
  events?: Events;
  /** When sessions end by themselves (`sessions:` of the service config); default: never. */
  lifecycle?: LifecycleSettings;
  /** Where terminal attaches are recorded; none: not recorded. */
  recordings?: Recordings;
  log?: Logger;
  now?: () => Date;
}

/** Exit code of a process killed by SIGKILL (128 + 9), as the engine reports it. */
const KILLED_EXIT_CODE = 137;
/** How long a killed process's container may take to be seen as exited. */
const ENDING_GRACE_MS = 3000;

/** Why a session was closed, in its `session.closed` event: by a user, `mai stop` inside, or the lifecycle. */
export type CloseReason = 'user' | 'ended' | 'idle' | 'lifetime';

/**
 * The domain core: every front end (CLI local mode, SSH gateway, REST) creates,
 * finds, reaches and closes sessions only through this class, so each rule
 * (ownership, naming, labels, limits) lives here once, and each fact is emitted
 * here once. Stateless apart from its store and engine, and the clients it started in
 * this process (`clients`, which the lifecycle reads): nothing to start or close (the
 * engine watch it reads is started and closed by its owner).
 */
export class SessionService {
  private readonly deps: SessionDeps;
  /** Processes started here, per session, until they exit. */
  readonly clients = new SessionClients();
  private readonly recordingStore: Recordings | undefined;

  constructor(options: SessionServiceOptions) {
    this.deps = {
      store: options.store,
      backend: options.backend,
      containers: options.containers ?? options.backend.watch({ [LABEL_INSTANCE]: options.instanceId }),
      drivers: options.drivers,
      instanceId: options.instanceId,
      defaultDriver: options.defaultDriver,
      network: options.network,
      policy: options.policy,
      projects: options.projects,
      tools: options.tools,
      sshScanHosts: options.sshScanHosts ?? [],
      buildArgs: options.buildArgs ?? hostBuildArgs(),
      telemetry: options.telemetry ?? {},
      events: options.events ?? noEvents,
      lifecycle: options.lifecycle ?? NO_LIFECYCLE,
      log: options.log ?? silentLogger,
      now: options.now ?? (() => new Date()),
    };
    this.recordingStore = options.recordings;
  }

  get drivers(): DriverCatalog {
    return this.deps.drivers;
  }

  /** When sessions end by themselves here (for showing each session's next deadline). */
  get lifecycle(): LifecycleSettings {
    return this.deps.lifecycle;
  }

  /** Creates and starts a session for `owner`; see `createSession` for the all-or-nothing contract. */
  create(owner: Actor, request: CreateSessionRequest, onProgress: Progress = () => {}): Promise<SessionRecord> {
    return createSession(this.deps, owner, request, onProgress);
  }

  /** Resolves when the store and the engine both answer (readiness). */
  async ready(): Promise<void> {
    await this.deps.backend.ping();
    await this.deps.store.instanceId();
  }

  /** Sessions visible to the actor (admins with `all`: everyone's), status refreshed from the engine. */
  async list(actor: Actor, options: { all?: boolean } = {}): Promise<SessionRecord[]> {
    const rows = await this.deps.store.listSessions(actor.admin && options.all ? undefined : actor.name);
    const containers = await containersBySession(this.deps);
    return Promise.all(rows.map((row) => this.refreshStatus(row, containers.get(row.id))));
  }

  /**
   * A session by id or name, if the actor may reach it. Anything else, including
   * someone else's session, is SESSION_NOT_FOUND: its existence is not disclosed.
   */
  async find(actor: Actor, ref: string): Promise<SessionRecord> {
    const store = this.deps.store;
    const byId = SESSION_ID.test(ref) ? await store.getSession(ref) : null;
    const session = byId && (byId.owner === actor.name || actor.admin) ? byId : await store.findSessionByName(actor.name, ref);
    if (!session || session.status === 'creating') throw new MaiError('SESSION_NOT_FOUND', `no such session: ${ref}`);
    // Its status, when the engine's state is in memory anyway (asking the engine per lookup is not worth it).
    if (!this.deps.containers.live) return session;
    const info = (await containersBySession(this.deps)).get(session.id);
    return this.refreshStatus(session, info);
  }

  /** Starts the session's container when it is stopped; progress lines go to `onProgress`. */
  async ensureRunning(session: SessionRecord, onProgress: Progress = () => {}): Promise<SessionRecord> {
    const info = session.containerId ? await this.deps.backend.inspect(session.containerId) : null;
    if (!info || !session.containerId) {
      await this.deps.store.updateSession(session.id, { status: 'missing' });
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
    // Its MCP servers and egress proxy first: the tool and the clone expect them.
    await restartSidecars(this.deps.backend, session.spec);
    await this.deps.backend.start(session.containerId);
    this.deps.events.emit('session.started', { session: session.id, owner: session.owner });
    return (await this.deps.store.updateSession(session.id, { status: 'running' })) ?? session;
  }

  /** Closes the session if its user ended it with `mai stop`; true when it did. */
  async closeIfEnded(session: SessionRecord, known?: ContainerInfo | null): Promise<boolean> {
    const info = known ?? (session.containerId ? await this.deps.backend.inspect(session.containerId) : null);
    if (!info || !endedFromInside(info)) return false;
    await this.close(session, { reason: 'ended' });
    return true;
  }

  /** Runs a process in the session, starting the container first if needed; it counts as a client of the session until it exits. */
  async exec(session: SessionRecord, options: ExecOptions, onProgress?: Progress): Promise<ExecProcess> {
    const proc = await this.start(session, options, onProgress);
    this.clients.track(session.id, proc);
    return proc;
  }

  /**
   * A terminal attach: the driver's attach command (its tool and a shell in tmux) on a
   * TTY, or with `readOnly` a watcher of that tmux. Every interactive front end (ssh -t,
   * the browser, `mai session connect`, `watch`) comes through here, so they all see the
   * same windows, and are recorded and audited the same way (see `attachTerminal`).
   */
  attach(session: SessionRecord, options: AttachOptions, onProgress?: Progress): Promise<ExecProcess> {
    const parts = {
      events: this.deps.events,
      clients: this.clients,
      recordings: this.recordingStore,
      exec: (target: SessionRecord, cmd: string[], env: Record<string, string>, size: { cols: number; rows: number }, progress?: Progress) =>
        this.start(target, { cmd, tty: true, ...size, env }, progress),
    };
    return attachTerminal(parts, session, this.attachCommand(session), options, onProgress);
  }

  /** Stops the session's container (it starts again on the next connect). */
  async stop(session: SessionRecord): Promise<void> {
    if (session.containerId) await this.deps.backend.stop(session.containerId);
    await this.deps.store.updateSession(session.id, { status: 'stopped' });
  }

  /**
   * The recordings of a session the actor may reach (owner, admins), also of a closed
   * one: those name it by id, and its recordings keep their owner until their retention ends.
   */
  async recordings(actor: Actor, ref: string): Promise<{ sessionId: string; recordings: RecordingInfo[] }> {
    const sessionId = await this.recordingsOf(actor, ref);
    return { sessionId, recordings: this.recordingStore?.list(sessionId) ?? [] };
  }

  /** Recording `n` of a session the actor may reach, streamed (asciicast v2). */
  async recording(actor: Actor, ref: string, n: number): Promise<Readable> {
    const sessionId = await this.recordingsOf(actor, ref);
    if (!this.recordingStore) throw new MaiError('RECORDING_NOT_FOUND', `no recording ${n} of session ${sessionId}`);
    return this.recordingStore.open(sessionId, n);
  }

  private async recordingsOf(actor: Actor, ref: string): Promise<string> {
    try {
      return (await this.find(actor, ref)).id;
    } catch (err) {
      // A closed session: its recordings are the owner's (and admins') until their retention ends.
      if (!(err instanceof MaiError && err.code === 'SESSION_NOT_FOUND')) throw err;
      const owner = this.recordingStore?.owner(ref);
      if (owner && (owner === actor.name || actor.admin)) return ref;
      throw err;
    }
  }

  /**
   * After a process in the session exited with `code`: whether the session itself
   * was ended from inside meanwhile (`mai stop` stops the container, which kills
   * every process in it: 128 + SIGKILL). If so it is closed here, and the front end
   * says "ended" rather than reporting the kill. Any other exit answers at once.
   */
  async endedDuring(session: SessionRecord, code: number): Promise<boolean> {
    if (code !== KILLED_EXIT_CODE || !session.containerId) return false;
    // The exec's end can reach us a moment before the engine records the container's exit.
    const deadline = Date.now() + ENDING_GRACE_MS;
    for (;;) {
      const info = await this.deps.backend.inspect(session.containerId);
      if (!info) return false;
      if (info.state !== 'running') return this.closeIfEnded(session, info);
      if (Date.now() >= deadline) return false;
      await sleep(50);
    }
  }

  /** Starts a process in the session (and the session first, if stopped), and records the activity. */
  private async start(session: SessionRecord, options: ExecOptions, onProgress?: Progress): Promise<ExecProcess> {
    const running = await this.ensureRunning(session, onProgress);
    const proc = await this.deps.backend.exec(running.containerId!, options);
    // At once, not at the lifecycle's next heartbeat: a reaper elsewhere must not take a session just reached.
    void this.deps.store.touchSession(session.id, this.deps.now().toISOString()).catch((err: unknown) => {
      this.deps.log.warn('session.touch_failed', { session: session.id, error: String(err) });
    });
    return proc;
  }

  /** What a terminal attach runs: kept with the session at create; older rows ask the catalog. */
  private attachCommand(session: SessionRecord): string[] {
    return session.spec.attach ?? this.deps.drivers.get(session.driver).manifest.attach;
  }

  /** The session's output, streamed (never held whole); the last `DEFAULT_LOG_TAIL` lines unless `tail` says otherwise. */
  async logs(session: SessionRecord, options: { follow: boolean; tail?: number | 'all' }): Promise<Readable> {
    if (!session.containerId) throw new MaiError('SESSION_NOT_RUNNING', `session ${session.id} has no container`);
    return this.deps.backend.logs(session.containerId, { follow: options.follow, tail: options.tail ?? DEFAULT_LOG_TAIL });
  }

  /** Removes the container (with its anonymous volumes), its sidecars and network, and then the row. */
  async close(session: SessionRecord, options: { by?: Actor; reason?: CloseReason } = {}): Promise<void> {
    if (session.containerId) await this.deps.backend.remove(session.containerId);
    await removeSidecars(this.deps.backend, session.spec);
    await this.deps.store.deleteSession(session.id);
    this.deps.events.emit('session.closed', {
      session: session.id,
      owner: session.owner,
      by: options.by?.name ?? session.owner,
      via: options.by?.via,
      reason: options.reason ?? 'user',
    });
  }

  /** Closes every session the actor owns; returns the ids closed. */
  async closeAll(actor: Actor): Promise<string[]> {
    const sessions = await this.deps.store.listSessions(actor.name);
    for (const session of sessions) await this.close(session, { by: actor });
    return sessions.map((s) => s.id);
  }

  /** See `reconcileSessions`. */
  reconcile(): Promise<ReconcileReport> {
    return reconcileSessions(this.deps, (session, reason) => this.close(session, { reason }));
  }

  private async refreshStatus(row: SessionRecord, info: ContainerInfo | undefined): Promise<SessionRecord> {
    const status = statusFor(row, info);
    if (status === row.status) return row;
    return (await this.deps.store.updateSession(row.id, { status })) ?? { ...row, status };
  }
}
