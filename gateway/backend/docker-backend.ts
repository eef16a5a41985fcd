import type { Readable } from 'node:stream';
import type {
  BuildOptions,
  ContainerBackend,
  ContainerFile,
  ContainerInfo,
  ContainerSpec,
  ExecOptions,
  ExecProcess,
  LogOptions,
  NetworkSpec,
} from './backend.js';
import { buildImage } from './docker-build.js';
import { DockerContainerStates, type ContainerStatesObserver } from './docker-container-states.js';
import { fromInspect, fromListing, labelFilter, networksOf, toCreateOptions } from './docker-container-spec.js';
import { engineMessage, statusCodeOf, toDockerError } from './docker-errors.js';
import { startExec } from './docker-exec.js';
import { readFile, writeFiles } from './docker-files.js';
import { containerLogs } from './docker-logs.js';
import { connectNetwork, createNetwork, ensureNetwork, listNetworks, removeNetwork } from './docker-network.js';
import { EngineClient, queryString } from './engine-client.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface DockerBackendOptions {
  /** Unix socket of the engine; default /var/run/docker.sock. */
  socketPath?: string;
}

type Listing = Parameters<typeof fromListing>[0];
type Inspection = Parameters<typeof fromInspect>[0];

/**
 * `ContainerBackend` over the Docker Engine API. The only module of mai that
 * talks to Docker; every failure leaves it as a MaiError. Stateless apart from
 * the connection settings and the watches it made (`watch`), which its own
 * create, start and remove keep current at once.
 */
export class DockerBackend implements ContainerBackend {
  private readonly engine: EngineClient;
  private readonly socketPath: string;
  /** In-flight network checks, so concurrent create()s make one network, not a conflict. */
  private readonly networks = new Map<string, Promise<void>>();
  private readonly watches = new Set<DockerContainerStates>();

  constructor(options: DockerBackendOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
    this.engine = new EngineClient(this.socketPath);
  }

  async ping(): Promise<void> {
    const status = await this.call(() => this.engine.status('GET', '/_ping'));
    if (status !== 200) throw toDockerError({ statusCode: status, message: `ping answered ${status}` }, this.socketPath);
  }

  async imageExists(tag: string): Promise<boolean> {
    return (await this.imageLabels(tag)) !== null;
  }

  async imageLabels(tag: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.engine.json<{ Config?: { Labels?: Record<string, string> | null } }>('GET', `/images/${tag}/json`);
      return info.Config?.Labels ?? {};
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  async buildImage(options: BuildOptions): Promise<void> {
    // dockerode only here (context tarring, .dockerignore): loading it costs more than most commands take.
    // (Our own modules are imported statically; a third-party one may load lazily: see open-store.ts.)
    const { default: Dockerode } = await import('dockerode');
    return buildImage(new Dockerode({ socketPath: this.socketPath }), options, this.socketPath);
  }

  async create(spec: ContainerSpec): Promise<string> {
    const createOptions = toCreateOptions(spec);
    const path = `/containers/create${queryString({ name: spec.name })}`;
    const create = () => this.engine.json<{ Id: string }>('POST', path, createOptions);
    // The shared network is needed by start, not by create (on this engine's API):
    // checked (and made if missing) beside the create, not before it. An engine that
    // does check at create says "network ... not found": then the create waits for it.
    const network = spec.network ? this.ensureNetwork(spec.network) : Promise.resolve();
    network.catch(() => {}); // awaited below, whichever way the create goes
    let created: { Id: string };
    try {
      created = await create();
    } catch (err) {
      if (!spec.network || statusCodeOf(err) !== 404 || !/network .* not found/i.test(engineMessage(err))) throw toDockerError(err, this.socketPath);
      await network;
      created = await this.call(create);
    }
    try {
      await network;
      // The engine joins one network at create; a session's own ones are joined now, before start.
      for (const further of networksOf(spec).slice(1)) await this.call(() => connectNetwork(this.engine, created.Id, further));
    } catch (err) {
      // Nobody could start it, or it is on half its networks: not the container asked for.
      await this.remove(created.Id).catch(() => {});
      throw err;
    }
    const info: ContainerInfo = { id: created.Id, name: spec.name, image: spec.image, labels: { ...spec.labels }, state: 'created', exitCode: null };
    for (const watch of this.watches) watch.wrote(created.Id, 0, info);
    return created.Id;
  }

  async start(id: string): Promise<void> {
    const marks = this.marks(id);
    // 304: already running.
    await this.call(() => this.engine.json('POST', `/containers/${encodeURIComponent(id)}/start`));
    this.wroteState(id, marks, 'running');
  }

  async stop(id: string, timeoutSeconds?: number): Promise<void> {
    // 304: already stopped. The watch learns the exit (and its code) from the stream.
    await this.call(() => this.engine.json('POST', `/containers/${encodeURIComponent(id)}/stop${queryString({ t: timeoutSeconds })}`));
  }

  async remove(id: string): Promise<void> {
    try {
      await this.engine.json('DELETE', `/containers/${encodeURIComponent(id)}${queryString({ force: 1, v: 1 })}`);
    } catch (err) {
      const status = statusCodeOf(err);
      // 409 "removal of container ... is already in progress": someone else is doing our job.
      if (status !== 404 && !(status === 409 && /already in progress/i.test(engineMessage(err)))) throw toDockerError(err, this.socketPath);
    }
    for (const watch of this.watches) watch.wrote(id, 0, null);
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    try {
      return fromInspect(await this.engine.json<Inspection>('GET', `/containers/${encodeURIComponent(id)}/json`));
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  async volumeLabels(name: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.engine.json<{ Labels?: Record<string, string> | null }>('GET', `/volumes/${encodeURIComponent(name)}`);
      return info.Labels ?? {};
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const found = await this.call(() => this.engine.json<Listing[]>('GET', `/containers/json${queryString({ all: 1, filters: { label: labelFilter(labels) } })}`));
    return found.map(fromListing);
  }

  watch(labels: Record<string, string>, observer?: ContainerStatesObserver): DockerContainerStates {
    const watch: DockerContainerStates = new DockerContainerStates(this.engine, labels, observer, {
      started: () => this.watches.add(watch),
      closed: () => this.watches.delete(watch),
    });
    return watch;
  }

  exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    return startExec(this.engine, id, options);
  }

  async writeFiles(id: string, files: ContainerFile[]): Promise<void> {
    await this.call(() => writeFiles(this.engine, id, files));
  }

  readFile(id: string, path: string, maxBytes: number): Promise<Buffer | null> {
    return this.call(() => readFile(this.engine, id, path, maxBytes));
  }

  createNetwork(spec: NetworkSpec): Promise<{ subnet: string | null }> {
    return this.call(() => createNetwork(this.engine, spec));
  }

  removeNetwork(name: string): Promise<void> {
    return this.call(() => removeNetwork(this.engine, name));
  }

  listNetworks(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    return this.call(() => listNetworks(this.engine, labels));
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const info = await this.call(() => this.engine.json<Inspection>('GET', `/containers/${encodeURIComponent(id)}/json`));
    return this.call(() => containerLogs(this.engine, id, info.Config.Tty, options));
  }

  /** Where each watch's stream stands for `id` before a call, so the call's answer never undoes newer news. */
  private marks(id: string): Map<DockerContainerStates, number> {
    return new Map([...this.watches].map((w) => [w, w.mark(id)]));
  }

  private wroteState(id: string, marks: Map<DockerContainerStates, number>, state: 'running'): void {
    for (const [watch, mark] of marks) {
      const known = watch.known(id);
      if (known) watch.wrote(id, mark, { ...known, state, exitCode: null });
    }
  }

  private ensureNetwork(name: string): Promise<void> {
    let pending = this.networks.get(name);
    if (!pending) {
      // Not cached beyond the call: an operator may prune the network meanwhile.
      pending = this.call(() => ensureNetwork(this.engine, name)).finally(() => this.networks.delete(name));
      this.networks.set(name, pending);
    }
    return pending;
  }

  /** Runs one engine call, translating whatever it throws. */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toDockerError(err, this.socketPath);
    }
  }
}
