import type { Readable } from 'node:stream';
import Dockerode from 'dockerode';
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
import { fromInspect, fromListing, networksOf, toCreateOptions } from './docker-container-spec.js';
import { statusCodeOf, toDockerError } from './docker-errors.js';
import { startExec } from './docker-exec.js';
import { readFile, writeFiles } from './docker-files.js';
import { containerLogs } from './docker-logs.js';
import { connectNetwork, createNetwork, ensureNetwork, listNetworks, removeNetwork } from './docker-network.js';

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

export interface DockerBackendOptions {
  /** Unix socket of the engine; default /var/run/docker.sock. */
  socketPath?: string;
}

/**
 * `ContainerBackend` over the Docker Engine API (dockerode). The only module
 * of mai that talks to Docker; every failure leaves it as a MaiError.
 * Stateless apart from the connection settings: no start()/close() needed.
 */
export class DockerBackend implements ContainerBackend {
  private readonly docker: Dockerode;
  private readonly socketPath: string;
  /** In-flight network checks, so concurrent create()s make one network, not a conflict. */
  private readonly networks = new Map<string, Promise<void>>();

  constructor(options: DockerBackendOptions = {}) {
    this.socketPath = options.socketPath ?? DEFAULT_DOCKER_SOCKET;
    this.docker = new Dockerode({ socketPath: this.socketPath });
  }

  async ping(): Promise<void> {
    await this.call(() => this.docker.ping());
  }

  async imageExists(tag: string): Promise<boolean> {
    return (await this.imageLabels(tag)) !== null;
  }

  async imageLabels(tag: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.docker.getImage(tag).inspect();
      return info.Config?.Labels ?? {};
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  buildImage(options: BuildOptions): Promise<void> {
    return buildImage(this.docker, options, this.socketPath);
  }

  async create(spec: ContainerSpec): Promise<string> {
    const createOptions = toCreateOptions(spec);
    if (spec.network) await this.ensureNetwork(spec.network);
    const container = await this.call(() => this.docker.createContainer(createOptions));
    try {
      for (const network of networksOf(spec).slice(1)) await this.call(() => connectNetwork(this.docker, container.id, network));
    } catch (err) {
      // A container on half its networks is not the one asked for.
      await this.remove(container.id).catch(() => undefined);
      throw err;
    }
    return container.id;
  }

  async start(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).start();
    } catch (err) {
      if (statusCodeOf(err) === 304) return; // already running
      throw toDockerError(err, this.socketPath);
    }
  }

  async stop(id: string, timeoutSeconds?: number): Promise<void> {
    try {
      await this.docker.getContainer(id).stop(timeoutSeconds === undefined ? {} : { t: timeoutSeconds });
    } catch (err) {
      if (statusCodeOf(err) === 304) return; // already stopped
      throw toDockerError(err, this.socketPath);
    }
  }

  async remove(id: string): Promise<void> {
    try {
      await this.docker.getContainer(id).remove({ force: true, v: true });
    } catch (err) {
      const status = statusCodeOf(err);
      if (status === 404) return;
      // "removal of container ... is already in progress": someone else is doing our job.
      if (status === 409 && /already in progress/i.test(String((err as Error).message))) return;
      throw toDockerError(err, this.socketPath);
    }
  }

  async inspect(id: string): Promise<ContainerInfo | null> {
    try {
      return fromInspect(await this.docker.getContainer(id).inspect());
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  async volumeLabels(name: string): Promise<Record<string, string> | null> {
    try {
      const info = await this.docker.getVolume(name).inspect();
      return info.Labels ?? {};
    } catch (err) {
      if (statusCodeOf(err) === 404) return null;
      throw toDockerError(err, this.socketPath);
    }
  }

  async list(labels: Record<string, string>): Promise<ContainerInfo[]> {
    const label = Object.entries(labels).map(([k, v]) => (v === '' ? k : `${k}=${v}`));
    const found = await this.call(() => this.docker.listContainers({ all: true, filters: { label } }));
    return found.map(fromListing);
  }

  exec(id: string, options: ExecOptions): Promise<ExecProcess> {
    return startExec(this.docker, id, options, this.socketPath);
  }

  async writeFiles(id: string, files: ContainerFile[]): Promise<void> {
    await this.call(() => writeFiles(this.docker.getContainer(id), files));
  }

  readFile(id: string, path: string, maxBytes: number): Promise<Buffer | null> {
    return this.call(() => readFile(this.docker.getContainer(id), path, maxBytes));
  }

  createNetwork(spec: NetworkSpec): Promise<{ subnet: string | null }> {
    return this.call(() => createNetwork(this.docker, spec));
  }

  removeNetwork(name: string): Promise<void> {
    return this.call(() => removeNetwork(this.docker, name));
  }

  listNetworks(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    return this.call(() => listNetworks(this.docker, labels));
  }

  async logs(id: string, options: LogOptions): Promise<Readable> {
    const info = await this.call(() => this.docker.getContainer(id).inspect());
    return this.call(() => containerLogs(this.docker, id, info.Config.Tty, options));
  }

  private ensureNetwork(name: string): Promise<void> {
    let pending = this.networks.get(name);
    if (!pending) {
      // Not cached beyond the call: an operator may prune the network meanwhile.
      pending = this.call(() => ensureNetwork(this.docker, name)).finally(() => this.networks.delete(name));
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
