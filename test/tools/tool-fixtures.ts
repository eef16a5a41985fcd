/**
 * Set-up shared by the AI tool tests on the real engine: a domain core with model
 * providers and MCP servers configured, the real MCP server image, and shell helpers.
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { packageRoot } from '../../drivers/package-root.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { LOCAL_POLICY, type Policy } from '../../gateway/domain/policy.js';
import { SessionService } from '../../gateway/domain/session-service.js';
import { mcpServerSchema, providerSchema, type McpServerInput, type ProviderInput } from '../../gateway/domain/tool-definitions.js';
import { ToolSettings, type ConfiguredTools } from '../../gateway/domain/tool-settings.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { projectKeyFrom } from '../../keys/secret-box.js';
import type { Store } from '../../gateway/store/store.js';
import { collect } from '../docker/docker-fixtures.js';

/** The reference MCP server from npm (@modelcontextprotocol/server-everything), built on mai/base. */
export const MCP_IMAGE = 'mai-test/mcp-everything:latest';
const MCP_CONTEXT = fileURLToPath(new URL('./mcp-everything/', import.meta.url));
/** Where that image keeps the server's node_modules, the official MCP SDK among them. */
export const MCP_SDK_MODULES = '/usr/local/lib/node_modules/@modelcontextprotocol/server-everything/node_modules';

export const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));

/** Builds the MCP server image when the engine lacks it (kept between runs, as the git server's is). */
export async function ensureMcpImage(backend: DockerBackend, say: (line: string) => void): Promise<void> {
  if (await backend.imageExists(MCP_IMAGE)) return;
  say(`building ${MCP_IMAGE} from ${MCP_CONTEXT} (npm install of the MCP server)`);
  await backend.buildImage({ contextDir: MCP_CONTEXT, tag: MCP_IMAGE, buildArgs: {} });
}

export function configured(options: { providers?: ProviderInput[]; mcp?: McpServerInput[]; defaultModel?: string; defaultMcp?: string[] }): ConfiguredTools {
  return {
    providers: (options.providers ?? []).map((p) => providerSchema.parse(p)),
    mcp: (options.mcp ?? []).map((m) => mcpServerSchema.parse(m)),
    defaultModel: options.defaultModel,
    defaultMcp: options.defaultMcp ?? [],
  };
}

/** The domain core as the local CLI wires it, on a test network, with these tool settings. */
export async function toolCore(options: { store: Store; backend: DockerBackend; network: string; tools: ConfiguredTools; policy?: Policy }): Promise<SessionService> {
  const policy = options.policy ?? LOCAL_POLICY;
  const tools = new ToolSettings({ store: options.store.tools, configured: options.tools, key: await projectKeyFrom('tool tests, a key long enough'), policy });
  return new SessionService({
    store: options.store,
    backend: options.backend,
    drivers: catalog,
    instanceId: await options.store.instanceId(),
    defaultDriver: 'base',
    network: options.network,
    policy,
    tools,
  });
}

/** Runs a bash script in the session as its user; never throws on a non-zero exit. */
export async function sh(sessions: SessionService, session: SessionRecord, script: string): Promise<{ out: string; err: string; code: number }> {
  const proc = await sessions.exec(session, { cmd: ['bash', '-lc', script], tty: false });
  const out = collect(proc.stdout);
  const err = collect(proc.stderr);
  proc.stdin.end();
  const code = await proc.wait();
  return { out: (await out).toString(), err: (await err).toString(), code };
}
