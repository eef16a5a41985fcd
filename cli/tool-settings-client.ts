import type { McpServerInput, ProviderInput } from '../gateway/domain/tool-definitions.js';
import type { McpServerView, ProviderView } from '../gateway/domain/tool-settings.js';
import type { CliContext } from './context.js';

/**
 * Where `mai provider ...` and `mai mcp ...` keep definitions: the local store through the
 * domain core, or a remote's /providers and /mcp (secrets sealed to the server's key first).
 */
export interface ToolSettingsClient {
  listProviders(): Promise<ProviderView[]>;
  saveProvider(input: ProviderInput): Promise<{ provider: ProviderView; created: boolean }>;
  removeProvider(name: string): Promise<void>;
  listMcpServers(): Promise<McpServerView[]>;
  saveMcpServer(input: McpServerInput): Promise<{ server: McpServerView; created: boolean }>;
  removeMcpServer(name: string): Promise<void>;
}

export async function openToolSettings(ctx: CliContext): Promise<ToolSettingsClient> {
  if (ctx.remote) return (await import('./remote/tool-settings-remote.js')).remoteToolSettings(ctx, ctx.remote);
  const { openLocalCore } = await import('./local-core.js');
  // One core per call, closed after it, as `mai project` does: each command makes one call.
  const local = async <T>(fn: (core: Awaited<ReturnType<typeof openLocalCore>>) => Promise<T>): Promise<T> => {
    const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
    try {
      return await fn(core);
    } finally {
      await core.close();
    }
  };
  return {
    listProviders: () => local((core) => core.tools.listProviders(core.actor)),
    saveProvider: (input) => local((core) => core.tools.saveProvider(core.actor, input)),
    removeProvider: (name) => local((core) => core.tools.removeProvider(core.actor, name)),
    listMcpServers: () => local((core) => core.tools.listMcpServers(core.actor)),
    saveMcpServer: (input) => local((core) => core.tools.saveMcpServer(core.actor, input)),
    removeMcpServer: (name) => local((core) => core.tools.removeMcpServer(core.actor, name)),
  };
}
