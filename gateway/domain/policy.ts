import { isAbsolute } from 'node:path';
import { MaiError } from '../errors.js';
import type { ValidCreateSessionRequest } from './session-request.js';
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
  readonly quotas: Quotas;
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
export function checkCreate(policy: Policy, actor: Actor, request: ValidCreateSessionRequest, limits: ResourceLimits): void {
  if (request.driver !== undefined && isDriverFolder(request.driver) && !policy.driverFolders) {
    throw new MaiError('AUTH_FORBIDDEN', `drivers are named on this server, not read from folders: ${request.driver} (see mai driver list)`);
  }
  if (request.volumes.length > 0 && !policy.hostMounts && !actor.admin) {
    throw new MaiError('AUTH_FORBIDDEN', 'volumes cannot be mounted on this server');
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

/** After the new row is in: a user over the session quota gets QUOTA_EXCEEDED (and the caller removes the row). */
export function checkSessionCount(policy: Policy, actor: Actor, count: number): void {
  if (actor.admin || count <= policy.quotas.sessionsPerUser) return;
  throw new MaiError(
    'QUOTA_EXCEEDED',
    `you have ${policy.quotas.sessionsPerUser} sessions, this server's maximum per user; close one first (mai session close)`,
  );
}

const LIMIT_NAMES: Record<keyof ResourceLimits, string> = { cpus: '--cpus', memoryMb: '--memory (MB)', pids: '--pids' };
