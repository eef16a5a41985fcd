import type { DriverManifest, McpTransport } from '../../drivers/driver-schema.js';
import { MaiError } from '../errors.js';
import { hostOfUrl } from './egress.js';
import type { OwnedSetting } from './tool-config-file.js';
import { PROVIDER_DEFAULT_HOSTS } from './tool-definitions.js';
import type { ResolvedMcpServer, ResolvedProvider, ToolSource } from './tool-settings.js';
import { fillTemplate, isPlainObject, type TemplateValues } from './tool-template.js';

/** The model and MCP servers a session was asked for (or got by default), resolved for its owner. */
export interface ToolChoice {
  provider?: ResolvedProvider;
  /** The model's name at that provider (what follows `PROVIDER/`). */
  model?: string;
  mcp: readonly ResolvedMcpServer[];
}

/** An MCP server run as a sidecar container of the session. */
export interface McpSidecar {
  name: string;
  /** Its DNS name on the session's network. */
  host: string;
  image: string;
  port: number;
  env: Record<string, string>;
  command?: string[];
}

/** How a driver's tool gets the chosen model and MCP servers (see the manifest's `model`, `mcp`, `config_file`). */
export interface ToolPlan {
  /** Plain variables of the session container. */
  env: Record<string, string>;
  /** Secret variables: files exported into the tool's process only (mai-tool-env). */
  secretEnv: Record<string, string>;
  /** The tool's config file and what mai puts into it (a merged file: perhaps nothing, to take back the last session's); null when none. */
  configFile: (NonNullable<DriverManifest['config_file']> & { settings: OwnedSetting[] }) | null;
  sidecars: McpSidecar[];
  /** The hosts the tool must reach (its provider's API, remote MCP servers), by who named them. */
  hosts: Record<ToolSource, string[]>;
}

/** The DNS name of a container MCP server on its session's network. */
export function mcpHost(name: string): string {
  return `mcp-${name}`;
}

/**
 * Turns the choice into what the session gets, as the driver's manifest declares it.
 * Pure; a choice the tool cannot take (a provider type it does not list, a transport it
 * has no entry for) is INPUT_INVALID, before anything is made.
 */
export function planTools(manifest: DriverManifest, choice: ToolChoice): ToolPlan {
  const plan: ToolPlan = { env: {}, secretEnv: {}, configFile: null, sidecars: [], hosts: { config: [], user: [] } };
  const settings: OwnedSetting[] = [];
  if (choice.provider && choice.model !== undefined) settings.push(...planModel(manifest, choice.provider, choice.model, plan));
  for (const server of choice.mcp) settings.push(planMcp(manifest, server, plan));
  const file = manifest.config_file;
  // A merged file is visited even with nothing to set: what an earlier session set there may have to go.
  if (file && (settings.length > 0 || file.merge)) plan.configFile = { ...file, settings };
  if (file?.variable && settings.length > 0) plan.env[file.variable] = file.path;
  return plan;
}

function planModel(manifest: DriverManifest, provider: ResolvedProvider, model: string, plan: ToolPlan): OwnedSetting[] {
  const name = manifest.name;
  if (!manifest.model) throw new MaiError('INPUT_INVALID', `driver ${name} takes no model (--model is for drivers that run an AI tool)`);
  const binding = manifest.model.providers[provider.type];
  if (!binding) {
    const types = Object.keys(manifest.model.providers).join(', ');
    throw new MaiError('INPUT_INVALID', `driver ${name} cannot use ${provider.type} providers like "${provider.name}" (it takes: ${types})`);
  }
  const values: TemplateValues = { provider: provider.name, model, baseUrl: provider.baseUrl, type: provider.type };
  if (binding.key && provider.apiKey) plan.secretEnv[binding.key] = provider.apiKey;
  for (const [variable, template] of Object.entries(binding.env)) {
    const value = fillTemplate(template, values);
    if (typeof value === 'string') plan.env[variable] = value;
  }
  const host = provider.baseUrl ? hostOfUrl(provider.baseUrl) : PROVIDER_DEFAULT_HOSTS[provider.type];
  if (host) plan.hosts[provider.source].push(host);
  return binding.config ? leaves(fillTemplate(binding.config, values), []) : [];
}

function planMcp(manifest: DriverManifest, server: ResolvedMcpServer, plan: ToolPlan): OwnedSetting {
  const name = manifest.name;
  if (!manifest.mcp) throw new MaiError('INPUT_INVALID', `driver ${name} reads no MCP servers (--mcp ${server.name})`);
  const transport: McpTransport = server.type === 'command' ? 'stdio' : server.transport;
  const entry = manifest.mcp.entries[transport];
  if (!entry) throw new MaiError('INPUT_INVALID', `driver ${name} cannot use ${transport} MCP servers like "${server.name}"`);
  const reference = manifest.mcp.env_reference;
  // Secret values go to secret files; the file names them, where the tool can read a reference.
  const secrets = (kind: 'H' | 'E', values: Record<string, string>) =>
    Object.fromEntries(
      Object.entries(values).map(([key, value], i) => {
        if (!reference) return [key, value];
        const variable = `MAI_MCP_${server.name.toUpperCase().replace(/-/g, '_')}_${kind}${i + 1}`;
        plan.secretEnv[variable] = value;
        return [key, reference === 'shell' ? `\${${variable}}` : `{env:${variable}}`];
      }),
    );
  let values: TemplateValues;
  switch (server.type) {
    case 'remote': {
      values = { name: server.name, url: server.url, headers: secrets('H', server.headers) };
      const host = hostOfUrl(server.url);
      if (host) plan.hosts[server.source].push(host);
      break;
    }
    case 'container': {
      const host = mcpHost(server.name);
      values = { name: server.name, url: `http://${host}:${server.port}${server.path}` };
      plan.sidecars.push({ name: server.name, host, image: server.image, port: server.port, env: { ...server.env }, ...(server.command ? { command: server.command } : {}) });
      break;
    }
    case 'command':
      values = {
        name: server.name,
        command: server.command,
        args: server.args,
        commandLine: [server.command, ...server.args],
        env: secrets('E', server.env),
      };
      break;
  }
  return { path: [...manifest.mcp.key.split('.'), server.name], value: fillTemplate(entry, values) ?? {} };
}

/** A filled model config as settings: every value that is not a map, and every empty map. */
function leaves(value: unknown, path: string[]): OwnedSetting[] {
  if (!isPlainObject(value) || (Object.keys(value).length === 0 && path.length > 0)) return value === undefined ? [] : [{ path, value }];
  return Object.entries(value).flatMap(([key, item]) => leaves(item, [...path, key]));
}
