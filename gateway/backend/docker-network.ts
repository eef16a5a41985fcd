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
