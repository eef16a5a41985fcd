import type { Readable, Writable } from 'node:stream';
import type { PortMapping, ResourceLimits, VolumeMount } from '../domain/types.js';

/** Labels every mai container carries, so the store can be reconciled with the engine. */
export const LABEL_SESSION = 'mai.session';
export const LABEL_OWNER = 'mai.owner';
export const LABEL_DRIVER = 'mai.driver';
/**
 * On containers mai runs beside a session (an MCP server, the egress proxy): what it is.
 * Session containers have none. A sidecar carries its session's `mai.session` too.
 */
export const LABEL_SIDECAR = 'mai.sidecar';

/** A network a container joins, with the names it answers to there. */
export interface NetworkAttachment {
  name: string;
  aliases?: string[];
}

export interface ContainerSpec {
  name: string;
  image: string;
  labels: Record<string, string>;
  env: Record<string, string>;
  volumes: VolumeMount[];
  ports: PortMapping[];
  limits: ResourceLimits;
  /** Docker network to attach to (created by the backend when missing). */
  network?: string;
  /** Networks made with `createNetwork` (a session's own), joined besides `network` or, without it, instead. */
  networks?: NetworkAttachment[];
  /** The image's command replaced (a sidecar's). */
  command?: string[];
  /** Where the engine also sends the container's output; without it, only the local log. */
  log?: ContainerLogForwarding;
}

/**
 * The container's output forwarded by the engine itself to a Fluentd (its `fluentd`
 * log driver), one record per line. A local copy stays readable (`logs()`) where
 * the engine keeps one (Docker 20.10's dual logging, on unless an operator turned it off).
 */
export interface ContainerLogForwarding {
  driver: 'fluentd';
  /** `tcp://HOST:PORT`, reached from the engine's own network namespace, not the container's. */
  address: string;
  tag: string;
  /** Container labels copied into every record. */
  labels: string[];
  /** Wait for Fluentd's acknowledgements, so that lines written into a dying connection are sent again. */
  ack: boolean;
}

/** A network mai makes for one session (its sidecars, its egress). */
export interface NetworkSpec {
  name: string;
  labels: Record<string, string>;
  /** No route out: only the containers on it can be reached. */
  internal: boolean;
}

export type ContainerState = 'created' | 'running' | 'paused' | 'restarting' | 'exited' | 'dead' | 'removing';

export interface ContainerInfo {
  id: string;
  name: string;
  image: string;
  labels: Record<string, string>;
  state: ContainerState;
  exitCode: number | null;
}

export interface ExecOptions {
  cmd: string[];
  tty: boolean;
  env?: Record<string, string>;
  user?: string;
  workdir?: string;
  /** Initial terminal size for TTY execs. */
  cols?: number;
  rows?: number;
}

/**
 * A process started in a container. `stdin` is open until `end()`d; `stdout`
 * carries everything when `tty` is true (then `stderr` stays empty).
 * Lifecycle: `wait()` resolves once with the exit code after output has drained;
 * `kill()` ends the process and everything it started; both are safe to call any time.
 */
export interface ExecProcess {
  readonly id: string;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  resize(cols: number, rows: number): Promise<void>;
  /** Sends a signal (name without SIG, e.g. 'INT') to the process group. */
  signal(name: string): Promise<void>;
  /** Kills the process and everything it started (SIGKILL to its whole session). */
  kill(): Promise<void>;
  wait(): Promise<number>;
}

export interface LogOptions {
  follow: boolean;
  /** The last N lines only, or 'all'. */
  tail: number | 'all';
}

export interface BuildOptions {
  contextDir: string;
  tag: string;
  dockerfile?: string;
  buildArgs?: Record<string, string>;
  /** Labels the image gets (e.g. the digest of what it was built from). */
  labels?: Record<string, string>;
  /** One line of build output at a time, for visible progress. */
  onProgress?: (line: string) => void;
}

/**
 * The container engine behind a small interface; the domain never sees the SDK.
 * Every method throws MaiError (`DOCKER_UNAVAILABLE`, `DOCKER_FAILED`, `IMAGE_MISSING`).
 */
export interface ContainerBackend {
  ping(): Promise<void>;
  imageExists(tag: string): Promise<boolean>;
  /** An image's labels, or null when the engine has no such image. */
  imageLabels(tag: string): Promise<Record<string, string> | null>;
  buildImage(options: BuildOptions): Promise<void>;
  /** Creates (does not start) a container; returns its id. */
  create(spec: ContainerSpec): Promise<string>;
  start(id: string): Promise<void>;
  stop(id: string, timeoutSeconds?: number): Promise<void>;
  /** Force-removes the container and its anonymous volumes; a missing container is not an error. */
  remove(id: string): Promise<void>;
  inspect(id: string): Promise<ContainerInfo | null>;
  /** A named volume's labels, or null when no such volume exists. */
  volumeLabels(name: string): Promise<Record<string, string> | null>;
  /** Containers carrying all the given labels (value '' = label present with any value), asked of the engine now. */
  list(labels: Record<string, string>): Promise<ContainerInfo[]>;
  /** The containers carrying `labels`, kept in memory once started; see `ContainerStates`. */
  watch(labels: Record<string, string>): ContainerStates;
  exec(id: string, options: ExecOptions): Promise<ExecProcess>;
  /** Copies files into a (created or running) container, as a tar archive; never through env or labels. */
  writeFiles(id: string, files: ContainerFile[]): Promise<void>;
  /**
   * A file of a (created or running) container, volumes included; null when it is missing
   * or not a regular file. Over `maxBytes` is DOCKER_FAILED: what a session wrote is not trusted to be small.
   */
  readFile(id: string, path: string, maxBytes: number): Promise<Buffer | null>;
  /** Creates a network; returns its subnet (CIDR), when the engine says. */
  createNetwork(spec: NetworkSpec): Promise<{ subnet: string | null }>;
  /** Removes a network; a missing one is not an error. Its containers must be gone first. */
  removeNetwork(name: string): Promise<void>;
  /** Networks carrying all the given labels. */
  listNetworks(labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]>;
  /** Container output (stdout and stderr merged, in order); ends when the container does, if following. */
  logs(id: string, options: LogOptions): Promise<Readable>;
}

/**
 * The engine's containers that carry a set of labels, as this process knows them.
 *
 * Started, it lists them once and then follows the engine's event stream, so a
 * read costs no engine call, whoever changed a container (this process, another
 * replica on the same store, `docker kill` behind mai's back). When the stream
 * breaks, reads go to the engine until it is back and everything has been listed
 * again; a full listing also runs every few minutes, in case the engine dropped
 * events for a slow reader. Not started (a short-lived CLI), every read lists.
 *
 * `start({ follow: false })` is for a process that lives for one command (the CLI):
 * no stream; the first read lists, later reads reuse that listing, kept current
 * only by this process's own calls.
 *
 * `start({ untilReachable: true })` is for a server that must come up without the
 * engine: an engine that cannot be reached is no error then; reads go to the engine
 * (failing DOCKER_UNAVAILABLE) while the watch keeps trying as after a broken stream,
 * and `live` turns true once it is in. `start` resolves true when the first listing is in.
 *
 * Lifecycle: `start()` once, resolving after the first listing (it throws when the
 * engine cannot be reached, unless `untilReachable`); `close()` ends the stream, is
 * idempotent, and leaves reads going to the engine.
 */
export interface ContainerStates {
  start(options?: { follow?: boolean; untilReachable?: boolean }): Promise<boolean>;
  close(): Promise<void>;
  /** Every container carrying the labels (while live, the same array until one of them changes). */
  list(): Promise<readonly ContainerInfo[]>;
  /** True while reads are served from memory kept current by the engine (stream up, listed since); never for a snapshot. */
  readonly live: boolean;
}

/** A file placed into a container before it starts (secrets travel this way, never as env). */
export interface ContainerFile {
  /** Absolute path inside the container. */
  path: string;
  content: Buffer | string;
  /** Octal permission bits, e.g. 0o400. */
  mode: number;
  uid: number;
  gid: number;
}

/**
 * Exit code of a session container whose user ran `mai stop` inside it: the
 * entrypoint exits with it, and the domain then closes the session for good.
 */
export const SESSION_ENDED_EXIT_CODE = 100;
