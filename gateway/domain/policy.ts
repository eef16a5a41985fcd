import { isAbsolute } from 'node:path';
import { MaiError } from '../errors.js';
import { formatEgress, OPEN_EGRESS, type Egress } from './egress.js';
import type { ValidCreateSessionRequest } from './session-request.js';
import type { McpServerDefinition } from './tool-definitions.js';
import type { Actor, ResourceLimits } from './types.js';

/**
 * What a process lets its users do: the one place for quotas, limits and which host
 * resources a user may name. The domain core checks it before anything is created;
 * every front end (SSH, REST, the CLI) gets the same answer. Admins are exempt from
 * quotas, never from the rules that keep users apart.
 */
export interface Policy {
  /**
   * Whether non-admin users may name host paths: bind mounts (`-v /host:/in`). True on
   * the user's own machine (local CLI); false on a shared server, where a bind mount
   * reaches the server's disk and a volume name another user's data.
   */
  readonly hostMounts: boolean;
  /**
   * Whether anyone may name a driver by folder (`--driver ./dir`). Local mode only: on a
   * server a folder is read from the server's disk (a user could plant one in her own
   * volume and have it built under another driver's image tag). Custom drivers on a
   * server come from the operator's config.
   */
  readonly driverFolders: boolean;
  /**
   * Whether non-admin users may define MCP servers that run an image (`type: container`).
   * False on a server: an image named by a user would run on the server's engine (and be
   * pulled by it); container servers there come from the operator's config.
   */
  readonly containerMcp: boolean;
  readonly egress: EgressPolicy;
  readonly quotas: Quotas;
}

/** Where sessions may connect to. */
export interface EgressPolicy {
  /** What a session gets when it asks for nothing (`egress.default`). */
  readonly default: Egress;
  /**
   * The operator's `egress.force`: every session gets the default, none may ask for
   * another, and an allow list is not widened by what a user names (a project's git
   * host, a user's own provider or MCP server): only the operator's own definitions count.
   */
  readonly forced: boolean;
}

export interface Quotas {
  /** Sessions one user may have at once (creating ones count). */
  readonly sessionsPerUser: number;
  /** Upper bounds of a session's resource limits. */
  readonly maxLimits: ResourceLimits;
  /** Host ports a session may publish (on 127.0.0.1), inclusive; null: none. */
  readonly hostPorts: { readonly from: number; readonly to: number } | null;
  /** SSH channels (terminals, commands, sftp) one connection may hold open (OpenSSH's MaxSessions). */
  readonly channelsPerConnection: number;
}

/** The local CLI on the user's own machine: no quotas, host paths and driver folders allowed. */
export const LOCAL_POLICY: Policy = {
  hostMounts: true,
  driverFolders: true,
  containerMcp: true,
  egress: { default: OPEN_EGRESS, forced: false },
  quotas: {
    sessionsPerUser: Number.POSITIVE_INFINITY,
    maxLimits: { cpus: Number.POSITIVE_INFINITY, memoryMb: Number.POSITIVE_INFINITY, pids: Number.POSITIVE_INFINITY },
    hostPorts: { from: 1, to: 65535 },
    channelsPerConnection: Number.POSITIVE_INFINITY,
  },
};

/** A driver reference that names a folder rather than a driver. */
export function isDriverFolder(ref: string): boolean {
  return ref.startsWith('.') || isAbsolute(ref);
}

/**
 * The checks of a create request that need no store or engine, in the order a user
 * fixes them: what may be named at all, then how much.
 */
export function checkCreate(policy: Policy, actor: Actor, request: ValidCreateSessionRequest, limits: ResourceLimits, egress: Egress): void {
  if (request.driver !== undefined && isDriverFolder(request.driver) && !policy.driverFolders) {
    throw new MaiError('AUTH_FORBIDDEN', `drivers are named on this server, not read from folders: ${request.driver} (see mai driver list)`);
  }
  if (request.volumes.length > 0 && !policy.hostMounts && !actor.admin) {
    throw new MaiError('AUTH_FORBIDDEN', 'volumes cannot be mounted on this server');
  }
  if (egress.mode !== 'open' && request.ports.some((p) => p.host !== undefined)) {
    // An internal network has no port mapping; the gateway's ssh -L reaches ports from inside.
    throw new MaiError('INPUT_INVALID', `ports cannot be published with --egress ${egress.mode}; reach them with ssh -L instead`);
  }
  if (actor.admin) return;
  const { maxLimits, hostPorts } = policy.quotas;
  for (const key of ['cpus', 'memoryMb', 'pids'] as const) {
    if (limits[key] > maxLimits[key]) {
      throw new MaiError('QUOTA_EXCEEDED', `${LIMIT_NAMES[key]} ${limits[key]} is over this server's maximum of ${maxLimits[key]}`);
    }
  }
  for (const port of request.ports) {
    if (port.host === undefined) continue;
    if (!hostPorts || port.host < hostPorts.from || port.host > hostPorts.to) {
      const allowed = hostPorts ? `ports ${hostPorts.from}-${hostPorts.to}` : 'no host ports';
      throw new MaiError('QUOTA_EXCEEDED', `host port ${port.host} cannot be published here (allowed: ${allowed}); reach it with ssh -L instead`);
    }
  }
}

/** The egress a session gets: what it asked for, or the default; a forced policy refuses any other. */
export function egressFor(policy: Policy, asked: Egress | undefined): Egress {
  const { default: fallback, forced } = policy.egress;
  if (!asked) return fallback;
  if (forced && formatEgress(asked) !== formatEgress(fallback)) {
    throw new MaiError('AUTH_FORBIDDEN', `egress is fixed to ${formatEgress(fallback)} on this server`);
  }
  return asked;
}

/**
 * Hosts an `allow` list takes in besides the asked ones, so the session can do what it
 * was configured for: the git host it clones from, its provider's API, its remote MCP
 * servers. Under a forced policy, only hosts of the operator's own definitions.
 */
export function extraEgressHosts(policy: Policy, hosts: { byOperator: readonly string[]; byUser: readonly string[] }): string[] {
  return policy.egress.forced ? [...hosts.byOperator] : [...hosts.byOperator, ...hosts.byUser];
}

/** Whether `actor` may save this MCP server definition as their own. */
export function checkMcpDefinition(policy: Policy, actor: Actor, server: McpServerDefinition): void {
  if (server.type === 'container' && !policy.containerMcp && !actor.admin) {
    throw new MaiError('AUTH_FORBIDDEN', 'MCP servers that run an image are set up by the operator on this server (mai mcp list shows them)');
  }
}

/** After the new row is in: a user over the session quota gets QUOTA_EXCEEDED (and the caller removes the row). */
export function checkSessionCount(policy: Policy, actor: Actor, count: number): void {
  if (actor.admin || count <= policy.quotas.sessionsPerUser) return;
  throw new MaiError(
    'QUOTA_EXCEEDED',
    `you have ${policy.quotas.sessionsPerUser} sessions, this server's maximum per user; close one first (mai session close)`,
  );
}

const LIMIT_NAMES: Record<keyof ResourceLimits, string> = { cpus: '--cpus', memoryMb: '--memory (MB)', pids: '--pids' };
