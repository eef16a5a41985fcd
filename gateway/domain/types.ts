/** The domain's own types: every front end and every adapter speaks these, never a library's. */

export type SessionStatus = 'creating' | 'running' | 'stopped' | 'missing';

export interface PortMapping {
  /** Port inside the container. */
  container: number;
  /** Port on the Docker host's loopback; undefined = not published (reach it with ssh -L). */
  host?: number;
}

export interface VolumeMount {
  /** Absolute host path (bind mount) or a Docker volume name. */
  source: string;
  /** Absolute path inside the container. */
  target: string;
  readOnly: boolean;
  /** Labels for a named volume mai creates (e.g. a driver's persisted settings), so it can be found and owned. */
  labels?: Record<string, string>;
}

export interface ResourceLimits {
  /** CPUs, fractional allowed (1.5 = one and a half cores). */
  cpus: number;
  memoryMb: number;
  pids: number;
}

/** What a session was asked for, kept so it can be shown and reconciled. Never holds secret values. */
export interface SessionSpec {
  envKeys: string[];
  volumes: VolumeMount[];
  ports: PortMapping[];
  limits: ResourceLimits;
  /** What a terminal attach runs (the driver's `attach`); absent on rows made before it was kept. */
  attach?: string[];
  /** `PROVIDER/MODEL` the tool was configured with. */
  model?: string;
  /** MCP servers the tool was configured with, by name. */
  mcp?: string[];
  /** `open`, `none` or `allow:HOST,...` (absent on older rows: open). */
  egress?: string;
  /** The session's own network (its sidecars, its egress), removed with it. */
  network?: string;
  /** Names of the containers beside it (MCP servers, the egress proxy), removed with it. */
  sidecars?: string[];
}

/** One row of the store: a session and the container that backs it. */
export interface SessionRecord {
  id: string;
  name: string;
  owner: string;
  driver: string;
  image: string;
  status: SessionStatus;
  containerId: string | null;
  projectUrl: string | null;
  spec: SessionSpec;
  /** ISO 8601, UTC. */
  createdAt: string;
  updatedAt: string;
  /** When its lifetime ends (`--ttl`, bounded by `sessions.maxLifetime`), ISO 8601; absent: never. */
  expiresAt?: string;
  /**
   * When a client (terminal, command, forward) was last seen using it, ISO 8601; kept fresh by
   * the lifecycle's heartbeat while one is. Absent on rows made before it was kept: `createdAt`.
   */
  lastActiveAt?: string;
}

/** Who is asking. Users reach only their own sessions; admins reach any. */
export interface Actor {
  name: string;
  admin: boolean;
  /** The front end and request it acts through (`ssh:CONN`, `http:REQ`), carried into the facts it causes. */
  via?: string;
}
