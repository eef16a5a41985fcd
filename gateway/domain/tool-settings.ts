import type { z } from 'zod';
import { decryptAtRest, encryptAtRest, type BoxKeyPair } from '../../keys/secret-box.js';
import { describeIssue } from '../config/load-yaml.js';
import { MaiError } from '../errors.js';
import type { ToolSettingKind, ToolSettingRecord, ToolSettingsStore } from '../store/tool-settings-store.js';
import { noEvents, type Events } from './events.js';
import { checkMcpDefinition, type Policy } from './policy.js';
import { unsealInput } from './sealed-input.js';
import {
  mcpServerSchema,
  providerSchema,
  type McpServerDefinition,
  type McpServerInput,
  type ProviderDefinition,
  type ProviderInput,
} from './tool-definitions.js';
import type { Actor } from './types.js';

/** Who defined a provider or MCP server: the operator's (or the CLI's) config, or the user. */
export type ToolSource = 'config' | 'user';

export type ResolvedProvider = ProviderDefinition & { source: ToolSource };
export type ResolvedMcpServer = McpServerDefinition & { source: ToolSource };

/** A provider as every front end shows it: never the key. */
export interface ProviderView {
  name: string;
  type: ProviderDefinition['type'];
  baseUrl: string | null;
  hasKey: boolean;
  source: ToolSource;
}

/** An MCP server as every front end shows it: header and variable names, never their values. */
export interface McpServerView {
  name: string;
  type: McpServerDefinition['type'];
  source: ToolSource;
  /** remote: its URL; container: the image; command: the command line. */
  target: string;
  transport: 'stdio' | 'streamable-http' | 'sse';
  headers: string[];
  env: string[];
}

/** What the configs define for everyone, read once at startup. */
export interface ConfiguredTools {
  providers: readonly ProviderDefinition[];
  mcp: readonly McpServerDefinition[];
  defaultModel?: string | undefined;
  defaultMcp: readonly string[];
}

export interface ToolSettingsOptions {
  store: ToolSettingsStore;
  configured: ConfiguredTools;
  /** The at-rest key (the projects' key). */
  key: Uint8Array;
  /** The server's key pair for secrets sealed by remote CLIs; absent in local mode. */
  boxKeys?: BoxKeyPair;
  policy: Policy;
  events?: Events;
  now?: () => Date;
}

/**
 * Model providers and MCP servers: the config's, for everyone, and each user's own
 * (`mai provider add`, `mai mcp add`), whose secrets are encrypted at rest. A user's own
 * definition hides the config's of the same name, for that user only. Sessions get a
 * definition, secrets and all, only through `provider` and `mcpServer`.
 */
export class ToolSettings {
  private readonly events: Events;
  private readonly now: () => Date;

  constructor(private readonly options: ToolSettingsOptions) {
    this.events = options.events ?? noEvents;
    this.now = options.now ?? (() => new Date());
  }

  get defaults(): { model: string | undefined; mcp: readonly string[] } {
    return { model: this.options.configured.defaultModel, mcp: this.options.configured.defaultMcp };
  }

  async listProviders(actor: Actor): Promise<ProviderView[]> {
    // The view only says whether there is a key: a placeholder stands for the ciphertext, never decrypted here.
    const own = (await this.own(actor.name, 'provider')).map((r) => ({ ...(JSON.parse(r.spec) as ProviderDefinition), apiKey: r.secret ? '*' : undefined, source: 'user' as const }));
    return merged(this.options.configured.providers, own).map(providerView);
  }

  async listMcpServers(actor: Actor): Promise<McpServerView[]> {
    const own = (await this.own(actor.name, 'mcp')).map((r) => ({ ...(JSON.parse(r.spec) as McpServerDefinition), source: 'user' as const }));
    return merged(this.options.configured.mcp, own).map(mcpView);
  }

  /** Adds or replaces the actor's own provider; the key may be sealed to this server's key. */
  async saveProvider(actor: Actor, input: ProviderInput): Promise<{ provider: ProviderView; created: boolean }> {
    const definition = parse(providerSchema, input, 'provider');
    const { apiKey, ...spec } = definition;
    const secret = apiKey === undefined ? undefined : await unsealInput(this.options.boxKeys, apiKey, actor.name);
    const created = await this.save(actor, 'provider', definition.name, spec, secret === undefined ? null : secret);
    this.events.emit('provider.saved', { owner: actor.name, provider: definition.name, type: definition.type });
    return { provider: providerView({ ...spec, apiKey: secret, source: 'user' }), created };
  }

  /** Adds or replaces the actor's own MCP server; header and env values may be sealed. */
  async saveMcpServer(actor: Actor, input: McpServerInput): Promise<{ server: McpServerView; created: boolean }> {
    const definition = parse(mcpServerSchema, input, 'MCP server');
    checkMcpDefinition(this.options.policy, actor, definition);
    const secrets = await this.unsealAll(actor, definition);
    const spec = { ...definition, ...blankSecrets(definition) };
    const created = await this.save(actor, 'mcp', definition.name, spec, JSON.stringify(secrets));
    this.events.emit('mcp.saved', { owner: actor.name, mcp: definition.name, type: definition.type });
    return { server: mcpView({ ...definition, source: 'user' }), created };
  }

  async removeProvider(actor: Actor, name: string): Promise<void> {
    await this.remove(actor, 'provider', name, this.options.configured.providers);
    this.events.emit('provider.removed', { owner: actor.name, provider: name });
  }

  async removeMcpServer(actor: Actor, name: string): Promise<void> {
    await this.remove(actor, 'mcp', name, this.options.configured.mcp);
    this.events.emit('mcp.removed', { owner: actor.name, mcp: name });
  }

  /** The provider `name` as `owner` sees it, key decrypted; PROVIDER_NOT_FOUND otherwise. */
  async provider(owner: string, name: string): Promise<ResolvedProvider> {
    const row = await this.options.store.getToolSetting(owner, 'provider', name);
    if (row) {
      const spec = JSON.parse(row.spec) as ProviderDefinition;
      const apiKey = row.secret === null ? undefined : await this.decrypt(row);
      return { ...spec, ...(apiKey !== undefined ? { apiKey } : {}), source: 'user' };
    }
    const configured = this.options.configured.providers.find((p) => p.name === name);
    if (configured) return { ...configured, source: 'config' };
    const known = (await this.listProviders({ name: owner, admin: false })).map((p) => p.name).join(', ') || 'none; see mai provider add';
    throw new MaiError('PROVIDER_NOT_FOUND', `unknown model provider "${name}" (known: ${known})`);
  }

  /** The MCP server `name` as `owner` sees it, secrets decrypted; MCP_NOT_FOUND otherwise. */
  async mcpServer(owner: string, name: string): Promise<ResolvedMcpServer> {
    const row = await this.options.store.getToolSetting(owner, 'mcp', name);
    if (row) {
      const spec = JSON.parse(row.spec) as McpServerDefinition;
      const secrets = row.secret === null ? {} : (JSON.parse(await this.decrypt(row)) as Partial<Record<'headers' | 'env', Record<string, string>>>);
      return { ...spec, ...secrets, source: 'user' } as ResolvedMcpServer;
    }
    const configured = this.options.configured.mcp.find((m) => m.name === name);
    if (configured) return { ...configured, source: 'config' };
    const known = (await this.listMcpServers({ name: owner, admin: false })).map((m) => m.name).join(', ') || 'none; see mai mcp add';
    throw new MaiError('MCP_NOT_FOUND', `unknown MCP server "${name}" (known: ${known})`);
  }

  private own(owner: string, kind: ToolSettingKind): Promise<ToolSettingRecord[]> {
    return this.options.store.listToolSettings(owner, kind);
  }

  private async save(actor: Actor, kind: ToolSettingKind, name: string, spec: object, secret: string | null): Promise<boolean> {
    const stamp = this.now().toISOString();
    const existing = await this.options.store.getToolSetting(actor.name, kind, name);
    return this.options.store.upsertToolSetting({
      owner: actor.name,
      kind,
      name,
      spec: JSON.stringify(spec),
      secret: secret === null ? null : await encryptAtRest(this.options.key, secret, contextOf(actor.name, kind, name)),
      createdAt: existing?.createdAt ?? stamp,
      updatedAt: stamp,
    });
  }

  private async remove(actor: Actor, kind: ToolSettingKind, name: string, configured: readonly { name: string }[]): Promise<void> {
    if (await this.options.store.deleteToolSetting(actor.name, kind, name)) return;
    const what = kind === 'provider' ? 'provider' : 'MCP server';
    if (configured.some((c) => c.name === name)) throw new MaiError('AUTH_FORBIDDEN', `the ${what} "${name}" is defined by the config, not by you`);
    throw new MaiError(kind === 'provider' ? 'PROVIDER_NOT_FOUND' : 'MCP_NOT_FOUND', `no such ${what} of yours: ${name}`);
  }

  private async unsealAll(actor: Actor, server: McpServerDefinition): Promise<{ headers?: Record<string, string>; env?: Record<string, string> }> {
    const open = async (values: Record<string, string>) =>
      Object.fromEntries(await Promise.all(Object.entries(values).map(async ([k, v]) => [k, await unsealInput(this.options.boxKeys, v, actor.name)] as const)));
    if (server.type === 'remote') return { headers: await open(server.headers) };
    return { env: await open(server.env) };
  }

  private async decrypt(row: ToolSettingRecord): Promise<string> {
    try {
      return await decryptAtRest(this.options.key, row.secret!, contextOf(row.owner, row.kind, row.name));
    } catch (err) {
      throw new MaiError('CONFIG_INVALID', `the secrets of ${row.kind} ${row.name} cannot be decrypted (was the key changed?)`, { cause: err });
    }
  }
}

/** Associated data binding a ciphertext to its row (another user's row does not open it). */
function contextOf(owner: string, kind: ToolSettingKind, name: string): string {
  return `mai ${kind}\0${owner}\0${name}`;
}

function parse<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new MaiError('INPUT_INVALID', `invalid ${what}: ${describeIssue(result.error)}`);
  return result.data;
}

/** The definition as stored in the clear: the names of headers and variables kept, their values not. */
function blankSecrets(server: McpServerDefinition): Partial<Record<'headers' | 'env', Record<string, string>>> {
  const blank = (values: Record<string, string>) => Object.fromEntries(Object.keys(values).map((k) => [k, '']));
  return server.type === 'remote' ? { headers: blank(server.headers) } : { env: blank(server.env) };
}

/** The config's definitions and the user's own, the user's winning on a name, sorted by name. */
function merged<T extends { name: string }>(configured: readonly T[], own: readonly (T & { source: 'user' })[]): (T & { source: ToolSource })[] {
  const names = new Set(own.map((o) => o.name));
  const all = [...configured.filter((c) => !names.has(c.name)).map((c) => ({ ...c, source: 'config' as const })), ...own];
  return all.sort((a, b) => a.name.localeCompare(b.name));
}

function providerView(p: ProviderDefinition & { source: ToolSource }): ProviderView {
  return { name: p.name, type: p.type, baseUrl: p.baseUrl ?? null, hasKey: Boolean(p.apiKey), source: p.source };
}

function mcpView(m: McpServerDefinition & { source: ToolSource }): McpServerView {
  const common = { name: m.name, type: m.type, source: m.source };
  switch (m.type) {
    case 'remote':
      return { ...common, target: m.url, transport: m.transport, headers: Object.keys(m.headers), env: [] };
    case 'container':
      return { ...common, target: m.image, transport: m.transport, headers: [], env: Object.keys(m.env) };
    case 'command':
      return { ...common, target: [m.command, ...m.args].join(' '), transport: 'stdio', headers: [], env: Object.keys(m.env) };
  }
}
