import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { packageRoot } from '../../drivers/package-root.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { planTools } from '../../gateway/domain/session-tools.js';
import { providerSchema, mcpServerSchema, type McpServerInput, type ProviderInput } from '../../gateway/domain/tool-definitions.js';
import type { ResolvedMcpServer, ResolvedProvider } from '../../gateway/domain/tool-settings.js';
import { thrownBy } from '../helpers/errors.js';

/** The shipped manifests, read through the one schema: what they declare is what sessions get. */
const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
const manifest = (name: string) => catalog.get(name).manifest;
const provider = (input: ProviderInput, source: 'config' | 'user' = 'config'): ResolvedProvider => ({ ...providerSchema.parse(input), source });
const mcp = (input: McpServerInput, source: 'config' | 'user' = 'config'): ResolvedMcpServer => ({ ...mcpServerSchema.parse(input), source });

const anthropic = provider({ name: 'anthropic', type: 'anthropic', apiKey: 'sk-ant-secret' });
const everything = mcp({ name: 'everything', type: 'container', image: 'mcp/everything', port: 3001 });
const docs = mcp({ name: 'docs', type: 'remote', url: 'https://docs.test/mcp', headers: { Authorization: 'Bearer tok-secret' } }, 'user');
const files = mcp({ name: 'files', type: 'command', command: 'npx', args: ['-y', 'server-filesystem', '/app'], env: { TOKEN: 'env-secret' } });

test('claude-code: the model as variables, the key as a secret, MCP servers in .claude.json with ${VAR} for secrets', () => {
  const plan = planTools(manifest('claude-code'), { provider: anthropic, model: 'claude-x', mcp: [everything, docs, files] });
  assert.equal(plan.env, { ANTHROPIC_MODEL: 'claude-x' }, 'no base URL: none set');
  assert.equal(plan.secretEnv, { ANTHROPIC_API_KEY: 'sk-ant-secret', MAI_MCP_DOCS_H1: 'Bearer tok-secret', MAI_MCP_FILES_E1: 'env-secret' });
  assert.is(plan.configFile?.path, '/home/mai/.claude/.claude.json');
  assert.is(plan.configFile?.merge, true);
  assert.equal(plan.configFile?.settings, [
    { path: ['mcpServers', 'everything'], value: { type: 'http', url: 'http://mcp-everything:3001/mcp' } },
    { path: ['mcpServers', 'docs'], value: { type: 'http', url: 'https://docs.test/mcp', headers: { Authorization: '${MAI_MCP_DOCS_H1}' } } },
    { path: ['mcpServers', 'files'], value: { type: 'stdio', command: 'npx', args: ['-y', 'server-filesystem', '/app'], env: { TOKEN: '${MAI_MCP_FILES_E1}' } } },
  ]);
  assert.not.match(JSON.stringify(plan.configFile), 'secret', 'no secret value in the file');
  assert.equal(plan.sidecars.map((s) => [s.name, s.host, s.port]), [['everything', 'mcp-everything', 3001]]);
  assert.equal(plan.hosts, { config: ['api.anthropic.com'], user: ['docs.test'] });
});

test('opencode: its own file (OPENCODE_CONFIG), model and provider there, {env:VAR} for secrets', () => {
  const local = provider({ name: 'lab', type: 'openai-compatible', baseUrl: 'http://llm.test:8000/v1', apiKey: 'lab-secret' }, 'user');
  const plan = planTools(manifest('opencode'), { provider: local, model: 'qwen-coder', mcp: [docs] });
  assert.equal(plan.env, { OPENCODE_CONFIG: '/run/mai/tool/opencode.json' });
  assert.equal(plan.secretEnv, { MAI_PROVIDER_API_KEY: 'lab-secret', MAI_MCP_DOCS_H1: 'Bearer tok-secret' });
  const settings = Object.fromEntries(plan.configFile!.settings.map((s) => [s.path.join('.'), s.value]));
  assert.is(settings['model'], 'lab/qwen-coder');
  assert.is(settings['provider.lab.options.baseURL'], 'http://llm.test:8000/v1');
  assert.is(settings['provider.lab.options.apiKey'], '{env:MAI_PROVIDER_API_KEY}');
  assert.equal(settings['mcp.docs'], { type: 'remote', url: 'https://docs.test/mcp', headers: { Authorization: '{env:MAI_MCP_DOCS_H1}' }, enabled: true });
  assert.equal(plan.hosts, { config: [], user: ['llm.test', 'docs.test'] });
});

test('what a tool cannot take is refused before anything is made, in one line', () => {
  const refused = (driver: string, choice: Parameters<typeof planTools>[1]) => {
    const error = thrownBy(() => planTools(manifest(driver), choice));
    assert.is(error.code, 'INPUT_INVALID');
    return error.message;
  };
  const openai = provider({ name: 'oa', type: 'openai' });
  assert.match(refused('claude-code', { provider: openai, model: 'gpt-x', mcp: [] }), 'driver claude-code cannot use openai providers like "oa" (it takes: anthropic)');
  assert.match(refused('base', { provider: anthropic, model: 'x', mcp: [] }), 'driver base takes no model');
  assert.match(refused('aider', { mcp: [everything] }), 'driver aider reads no MCP servers');
});

test('goose and aider take the model their way', () => {
  const goose = planTools(manifest('goose'), { provider: provider({ name: 'or', type: 'openrouter', apiKey: 'k' }), model: 'anthropic/claude-x', mcp: [everything] });
  assert.equal(goose.env, { GOOSE_PROVIDER: 'openrouter', GOOSE_MODEL: 'anthropic/claude-x' });
  assert.equal(goose.secretEnv, { OPENROUTER_API_KEY: 'k' });
  assert.equal(goose.configFile?.settings[0]?.path, ['extensions', 'everything']);
  const aider = planTools(manifest('aider'), { provider: anthropic, model: 'claude-x', mcp: [] });
  assert.equal(aider.env, { AIDER_MODEL: 'anthropic/claude-x' });
  assert.is(aider.configFile, null);
});

test.run();
