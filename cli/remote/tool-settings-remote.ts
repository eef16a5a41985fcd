import type { McpServerInput, ProviderInput } from '../../gateway/domain/tool-definitions.js';
import type { McpServerView, ProviderView } from '../../gateway/domain/tool-settings.js';
import { sealTo } from '../../keys/secret-box.js';
import type { CliContext } from '../context.js';
import type { ToolSettingsClient } from '../tool-settings-client.js';
import { ApiClient } from './api-client.js';
import { remoteFor } from './remotes.js';
import { StoredLoginSource } from './stored-login.js';

/**
 * `mai -r NAME provider|mcp ...`: the server's /providers and /mcp. Every secret (an API
 * key, a header or variable value) is sealed to the server's key for this user before it
 * is sent, as project credentials are.
 */
export async function remoteToolSettings(ctx: CliContext, name: string): Promise<ToolSettingsClient> {
  const remote = remoteFor(ctx, name);
  const login = await StoredLoginSource.open(remote);
  const api = new ApiClient(remote, login);
  const sealer = async () => {
    const { publicKey } = await api.json<{ publicKey: string }>('GET', '/projects/key');
    return (secret: string) => sealTo(publicKey, secret, login.user);
  };
  const sealAll = async (values: Record<string, string> | undefined, seal: (s: string) => Promise<string>) =>
    values && Object.fromEntries(await Promise.all(Object.entries(values).map(async ([k, v]) => [k, await seal(v)] as const)));
  const listProviders = async () => (await api.json<{ providers: ProviderView[] }>('GET', '/providers')).providers;
  const listMcpServers = async () => (await api.json<{ servers: McpServerView[] }>('GET', '/mcp')).servers;
  return {
    listProviders,
    async saveProvider(input: ProviderInput) {
      const body = { ...input, ...(input.apiKey ? { apiKey: await (await sealer())(input.apiKey) } : {}) };
      const before = await listProviders();
      const provider = await api.json<ProviderView>('POST', '/providers', { body });
      return { provider, created: !before.some((p) => p.name === provider.name && p.source === 'user') };
    },
    async removeProvider(providerName: string) {
      await api.json<void>('DELETE', `/providers/${encodeURIComponent(providerName)}`);
    },
    listMcpServers,
    async saveMcpServer(input: McpServerInput) {
      const seal = await sealer();
      const body =
        input.type === 'remote' ? { ...input, headers: await sealAll(input.headers, seal) } : input.type === 'command' ? { ...input, env: await sealAll(input.env, seal) } : input;
      const before = await listMcpServers();
      const server = await api.json<McpServerView>('POST', '/mcp', { body });
      return { server, created: !before.some((s) => s.name === server.name && s.source === 'user') };
    },
    async removeMcpServer(serverName: string) {
      await api.json<void>('DELETE', `/mcp/${encodeURIComponent(serverName)}`);
    },
  };
}
