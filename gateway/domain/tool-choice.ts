import type { DriverManifest } from '../../drivers/driver-schema.js';
import { MaiError } from '../errors.js';
import { checkMcpDefinition, type Policy } from './policy.js';
import { planTools, type ToolChoice } from './session-tools.js';
import type { ResolvedMcpServer, ToolSettings } from './tool-settings.js';
import type { Actor } from './types.js';

/** What a create request names of the AI tool's wiring (absent: the configured defaults). */
export interface ToolRequest {
  model?: string | undefined;
  mcp?: readonly string[] | undefined;
}

/**
 * The model and MCP servers a session gets, resolved for its owner: what the request
 * names (an unknown name or one the driver cannot take is an error, before anything is
 * made), else the configured defaults that this driver can take (the others are skipped,
 * and `onProgress` says why).
 */
export async function chooseTools(
  tools: ToolSettings | undefined,
  policy: Policy,
  owner: Actor,
  manifest: DriverManifest,
  request: ToolRequest,
  onProgress: (line: string) => void,
): Promise<ToolChoice> {
  const choice: ToolChoice = { mcp: [] };
  const defaults = tools?.defaults ?? { model: undefined, mcp: [] };
  const modelRef = request.model ?? (manifest.model ? defaults.model : undefined);
  if (modelRef !== undefined) {
    const slash = modelRef.indexOf('/');
    const name = modelRef.slice(0, slash);
    try {
      if (!tools) throw new MaiError('PROVIDER_NOT_FOUND', `unknown model provider "${name}" (none are configured here)`);
      const candidate = { provider: await tools.provider(owner.name, name), model: modelRef.slice(slash + 1), mcp: [] };
      planTools(manifest, candidate); // the driver must take it
      Object.assign(choice, candidate);
    } catch (err) {
      if (request.model !== undefined) throw err;
      onProgress(`mai: the default model ${modelRef} is not used: ${(err as Error).message}`);
    }
  }
  const names = [...new Set(request.mcp ?? (manifest.mcp ? defaults.mcp : []))];
  const servers: ResolvedMcpServer[] = [];
  for (const name of names) {
    try {
      if (!tools) throw new MaiError('MCP_NOT_FOUND', `unknown MCP server "${name}" (none are configured here)`);
      const server = await tools.mcpServer(owner.name, name);
      // Saved when the server allowed it, perhaps; used only while it does.
      if (server.source === 'user') checkMcpDefinition(policy, owner, server);
      planTools(manifest, { mcp: [server] });
      servers.push(server);
    } catch (err) {
      if (request.mcp !== undefined) throw err;
      onProgress(`mai: the default MCP server ${name} is not used: ${(err as Error).message}`);
    }
  }
  return { ...choice, mcp: servers };
}
