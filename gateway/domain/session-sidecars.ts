import { LABEL_OWNER, LABEL_SESSION, LABEL_SIDECAR, type ContainerBackend, type ContainerSpec, type NetworkAttachment } from '../backend/backend.js';
import type { Egress } from './egress.js';
import { EGRESS_PROXY_IMAGE, egressProxyFiles, PROXY_HOST, proxyEnv } from './egress-proxy.js';
import { LABEL_INSTANCE } from './session-deps.js';
import type { McpSidecar } from './session-tools.js';
import type { ResourceLimits, SessionSpec } from './types.js';

/** Sidecars are small servers: bounded like sessions, but smaller. */
const SIDECAR_LIMITS: ResourceLimits = { cpus: 1, memoryMb: 1024, pids: 512 };

/**
 * A session's own network and the containers beside it, decided (and named) before
 * anything is made, so that the row can record them and a failed create, a close or a
 * reconcile can remove them by name.
 */
export interface SessionLayout {
  /** The session's own network, or null: `open` egress without sidecars keeps the shared bridge only. */
  network: string | null;
  /** No route out (egress `none` or `allow`). */
  internal: boolean;
  mcp: Array<McpSidecar & { container: string }>;
  /** The egress proxy (egress `allow`) and the hosts it lets through. */
  proxy: { container: string; hosts: readonly string[] } | null;
}

export function planLayout(sessionId: string, egress: Egress, sidecars: readonly McpSidecar[]): SessionLayout {
  const confined = egress.mode !== 'open';
  return {
    network: confined || sidecars.length > 0 ? `mai-net-${sessionId}` : null,
    internal: confined,
    mcp: sidecars.map((s) => ({ ...s, container: `mai-${sessionId}-mcp-${s.name}` })),
    proxy: egress.mode === 'allow' ? { container: `mai-${sessionId}-egress`, hosts: egress.hosts } : null,
  };
}

/** What the row keeps of the layout (names only). */
export function layoutSpec(layout: SessionLayout): Pick<SessionSpec, 'network' | 'sidecars'> {
  const sidecars = [...layout.mcp.map((m) => m.container), ...(layout.proxy ? [layout.proxy.container] : [])];
  return { ...(layout.network ? { network: layout.network } : {}), ...(sidecars.length ? { sidecars } : {}) };
}

/** Where the session container sits and what it needs to get out: the shared bridge (open), its own network, the proxy's variables. */
export function sessionNetworking(layout: SessionLayout, shared: string | undefined): Pick<ContainerSpec, 'network' | 'networks'> & { env: Record<string, string> } {
  const own: NetworkAttachment[] = layout.network ? [{ name: layout.network }] : [];
  const env = layout.proxy ? proxyEnv(layout.mcp.map((m) => m.host)) : {};
  if (layout.internal) return { networks: own, env };
  return { ...(shared ? { network: shared } : {}), networks: own, env };
}

export interface SidecarContext {
  backend: ContainerBackend;
  sessionId: string;
  owner: string;
  instanceId: string;
  /** The shared bridge: the proxy's way out. */
  sharedNetwork: string | undefined;
}

/**
 * Makes the session's network, its MCP sidecars and its egress proxy, each started.
 * What it made is named in the layout: on failure the caller removes it with `removeSidecars`.
 */
export async function startSidecars(ctx: SidecarContext, layout: SessionLayout, onProgress: (line: string) => void): Promise<void> {
  if (!layout.network) return;
  const labels = (role: string) => ({ [LABEL_SESSION]: ctx.sessionId, [LABEL_OWNER]: ctx.owner, [LABEL_INSTANCE]: ctx.instanceId, [LABEL_SIDECAR]: role });
  const { subnet } = await ctx.backend.createNetwork({
    name: layout.network,
    internal: layout.internal,
    labels: { [LABEL_SESSION]: ctx.sessionId, [LABEL_OWNER]: ctx.owner, [LABEL_INSTANCE]: ctx.instanceId },
  });
  const base = { volumes: [], ports: [], limits: SIDECAR_LIMITS };
  // MCP servers obey the session's egress: the proxy's variables, or no way out at all.
  const env = layout.proxy ? proxyEnv(layout.mcp.map((m) => m.host)) : {};
  for (const server of layout.mcp) {
    onProgress(`starting MCP server ${server.name} (${server.image})`);
    const id = await ctx.backend.create({
      ...base,
      name: server.container,
      image: server.image,
      labels: labels(`mcp-${server.name}`),
      env: { ...server.env, ...env },
      networks: [{ name: layout.network, aliases: [server.host] }],
      ...(server.command ? { command: server.command } : {}),
    });
    await ctx.backend.start(id);
  }
  if (layout.proxy) {
    onProgress(`starting the egress proxy (allowed: ${layout.proxy.hosts.join(', ')})`);
    const id = await ctx.backend.create({
      ...base,
      name: layout.proxy.container,
      image: EGRESS_PROXY_IMAGE,
      labels: labels('egress'),
      env: {},
      // Its way out is the shared bridge (where inter-container traffic is off); the session reaches it on its own network.
      network: ctx.sharedNetwork ?? 'bridge',
      networks: [{ name: layout.network, aliases: [PROXY_HOST] }],
    });
    await ctx.backend.writeFiles(id, egressProxyFiles(layout.proxy.hosts, subnet));
    await ctx.backend.start(id);
  }
}

/** Starts a stopped session's sidecars again (before the session itself). */
export async function restartSidecars(backend: ContainerBackend, spec: SessionSpec): Promise<void> {
  for (const name of spec.sidecars ?? []) await backend.start(name);
}

/** Removes a session's sidecars, then its network; what is already gone is no error. */
export async function removeSidecars(backend: ContainerBackend, spec: Pick<SessionSpec, 'network' | 'sidecars'>): Promise<void> {
  for (const name of spec.sidecars ?? []) await backend.remove(name);
  if (spec.network) await backend.removeNetwork(spec.network);
}
