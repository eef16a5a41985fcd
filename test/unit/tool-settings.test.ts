import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateBoxKeyPair, projectKeyFrom, sealTo } from '../../keys/secret-box.js';
import { LOCAL_POLICY } from '../../gateway/domain/policy.js';
import { mcpServerSchema, providerSchema } from '../../gateway/domain/tool-definitions.js';
import { ToolSettings } from '../../gateway/domain/tool-settings.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { errorCode } from '../helpers/errors.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mai-tools-');
const alice = { name: 'alice', admin: false };
const bob = { name: 'bob', admin: false };
const root = { name: 'root', admin: true };
let store: Store;
let tools: ToolSettings;
let publicKey: string;

test.before(async () => {
  store = await openStore({ dataDir: dir.path });
  const boxKeys = await generateBoxKeyPair();
  publicKey = Buffer.from(boxKeys.publicKey).toString('base64');
  tools = new ToolSettings({
    store: store.tools,
    key: await projectKeyFrom('a test key, long enough'),
    boxKeys,
    // A shared server's rule: images are the operator's to name.
    policy: { ...LOCAL_POLICY, containerMcp: false },
    configured: {
      providers: [providerSchema.parse({ name: 'anthropic', type: 'anthropic', apiKey: 'sk-operator' })],
      mcp: [mcpServerSchema.parse({ name: 'everything', type: 'container', image: 'mcp/everything', port: 3001 })],
      defaultModel: 'anthropic/claude-x',
      defaultMcp: ['everything'],
    },
  });
});
test.after(async () => {
  await store.close();
  dir.remove();
});

test("a user's own provider: key sealed in transit, encrypted at rest, never shown; it hides the config's for her only", async () => {
  const sealed = await sealTo(publicKey, 'sk-alice-own', 'alice');
  const { provider, created } = await tools.saveProvider(alice, { name: 'anthropic', type: 'anthropic', apiKey: sealed });
  assert.ok(created);
  assert.equal(provider, { name: 'anthropic', type: 'anthropic', baseUrl: null, hasKey: true, source: 'user' });
  const row = await store.tools.getToolSetting('alice', 'provider', 'anthropic');
  assert.ok(row?.secret?.startsWith('v1.'));
  assert.not.match(JSON.stringify(row), 'sk-alice-own');
  assert.is((await tools.provider('alice', 'anthropic')).apiKey, 'sk-alice-own');
  assert.is((await tools.provider('bob', 'anthropic')).apiKey, 'sk-operator', "bob gets the operator's");
  assert.equal((await tools.listProviders(bob)).map((p) => p.source), ['config']);
  assert.not.match(JSON.stringify(await tools.listProviders(alice)), 'sk-');
});

test('names: unknown is PROVIDER_NOT_FOUND / MCP_NOT_FOUND listing the known; the config\'s cannot be removed', async () => {
  assert.is(await errorCode(tools.provider('bob', 'nosuch')), 'PROVIDER_NOT_FOUND');
  assert.is(await errorCode(tools.mcpServer('bob', 'nosuch')), 'MCP_NOT_FOUND');
  assert.is(await errorCode(tools.removeProvider(bob, 'anthropic')), 'AUTH_FORBIDDEN');
  assert.is(await errorCode(tools.removeProvider(bob, 'nosuch')), 'PROVIDER_NOT_FOUND');
  await tools.removeProvider(alice, 'anthropic');
  assert.is((await tools.provider('alice', 'anthropic')).source, 'config');
});

test('MCP servers: header values encrypted and never listed; sealed for another user is refused', async () => {
  const token = await sealTo(publicKey, 'Bearer alice-token', 'alice');
  const { server } = await tools.saveMcpServer(alice, { name: 'docs', type: 'remote', url: 'https://docs.test/mcp', headers: { Authorization: token } });
  assert.equal(server.headers, ['Authorization']);
  assert.not.match(JSON.stringify(await tools.listMcpServers(alice)), 'alice-token');
  assert.not.match(JSON.stringify(await store.tools.getToolSetting('alice', 'mcp', 'docs')), 'alice-token');
  const resolved = await tools.mcpServer('alice', 'docs');
  assert.equal(resolved.type === 'remote' && resolved.headers, { Authorization: 'Bearer alice-token' });
  assert.is(await errorCode(tools.mcpServer('bob', 'docs')), 'MCP_NOT_FOUND');
  const forAlice = await sealTo(publicKey, 'Bearer stolen', 'alice');
  assert.is(await errorCode(tools.saveMcpServer(bob, { name: 'x', type: 'remote', url: 'https://x.test', headers: { A: forAlice } })), 'INPUT_INVALID');
});

test('on a server, only admins define MCP servers that run an image', async () => {
  const sidecar = { name: 'mine', type: 'container' as const, image: 'evil/miner', port: 80 };
  assert.is(await errorCode(tools.saveMcpServer(alice, sidecar)), 'AUTH_FORBIDDEN');
  assert.is((await tools.saveMcpServer(root, sidecar)).server.type, 'container');
  assert.is(await errorCode(tools.saveMcpServer(alice, { name: 'BAD', type: 'command', command: 'x' })), 'INPUT_INVALID');
});

test.run();
