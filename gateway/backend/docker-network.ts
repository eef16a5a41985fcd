import type { NetworkAttachment, NetworkSpec } from './backend.js';
import { labelFilter } from './docker-container-spec.js';
import { statusCodeOf } from './docker-errors.js';
import { queryString, type EngineClient } from './engine-client.js';

/** Marks what mai created on the engine besides containers (networks). */
export const LABEL_MANAGED = 'mai.managed';

/**
 * Ensures the user-defined bridge `name` exists. Sessions share it but cannot
 * reach each other: inter-container communication is disabled on the bridge,
 * so a session only talks to the outside world (and the published loopback ports).
 */
export async function ensureNetwork(engine: EngineClient, name: string): Promise<void> {
  // The name filter matches substrings: compare exactly.
  const found = await engine.json<Array<{ Name: string }>>('GET', `/networks${queryString({ filters: { name: [name] } })}`);
  if (found.some((n) => n.Name === name)) return;
  try {
    await engine.json('POST', '/networks/create', {
      Name: name,
      Driver: 'bridge',
      CheckDuplicate: true,
      Options: { 'com.docker.network.bridge.enable_icc': 'false' },
      Labels: { [LABEL_MANAGED]: 'true' },
    });
  } catch (err) {
    // Another replica (or a concurrent create) got there first.
    if (statusCodeOf(err) === 409) return;
    throw err;
  }
}

/**
 * A session's own network: a bridge whose containers reach each other (the session, its
 * MCP sidecars, its egress proxy) and, when `internal`, nothing else: the engine gives
 * it no route out. Returns the subnet the engine chose.
 */
export async function createNetwork(engine: EngineClient, spec: NetworkSpec): Promise<{ subnet: string | null }> {
  const created = await engine.json<{ Id: string }>('POST', '/networks/create', {
    Name: spec.name,
    Driver: 'bridge',
    CheckDuplicate: true,
    Internal: spec.internal,
    Labels: { ...spec.labels, [LABEL_MANAGED]: 'true' },
  });
  const info = await engine.json<{ IPAM?: { Config?: Array<{ Subnet?: string }> } }>('GET', `/networks/${encodeURIComponent(created.Id)}`);
  return { subnet: info.IPAM?.Config?.find((c) => c.Subnet)?.Subnet ?? null };
}

export async function removeNetwork(engine: EngineClient, name: string): Promise<void> {
  try {
    await engine.json('DELETE', `/networks/${encodeURIComponent(name)}`);
  } catch (err) {
    if (statusCodeOf(err) === 404) return;
    throw err;
  }
}

export async function listNetworks(engine: EngineClient, labels: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
  const found = await engine.json<Array<{ Name: string; Labels?: Record<string, string> | null }>>('GET', `/networks${queryString({ filters: { label: labelFilter(labels) } })}`);
  return found.map((n) => ({ name: n.Name, labels: n.Labels ?? {} }));
}

/** Joins a created container to a further network (the engine takes only one at create). */
export async function connectNetwork(engine: EngineClient, containerId: string, network: NetworkAttachment): Promise<void> {
  await engine.json('POST', `/networks/${encodeURIComponent(network.name)}/connect`, {
    Container: containerId,
    EndpointConfig: { Aliases: network.aliases ?? [] },
  });
}
