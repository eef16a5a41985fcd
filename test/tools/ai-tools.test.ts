/**
 * Sessions that arrive ready to work, on the real engine with the real tools: a claude-code
 * session started with `--mcp` has the MCP server (the reference server from npm, run as a
 * sidecar on the session's own network) in its config, and an MCP client inside the
 * session (the official SDK) lists its tools; `--model` names the model in the tool's
 * variables (claude-code) or config (opencode), with the key only as a secret file.
 * Sidecars and networks go with their session, on close, on a failed create, and at reconcile.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { ensureDriverImage, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import type { SessionService } from '../../gateway/domain/session-service.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { cleanUp, docker, newRunId, removePersistVolumes, TEST_LABEL } from '../docker/docker-fixtures.js';
import { errorCode } from '../helpers/errors.js';
import { eventually } from '../helpers/run.js';
import { catalog, configured, ensureMcpImage, MCP_IMAGE, MCP_SDK_MODULES, sh, toolCore } from './tool-fixtures.js';

const runId = newRunId();
const network = `mai-test-${runId}`;
/** The official SDK's client, from the MCP image, mounted read-only into the session. */
const sdkVolume = `mai-test-${runId}-mcp-sdk`;
const KEY = `sk-ant-${runId}-secret`;
const owner = { name: `t${runId}`, admin: false };
const dataDir = mkdtempSync(join(tmpdir(), 'mai-ai-tools-'));
const backend = new DockerBackend({});
const say = (line: string) => process.stdout.write(`\n  [ai-tools] ${line}\n`);
let store: Store;
let sessions: SessionService;

const ready = (async () => {
  store = await openStore({ dataDir });
  sessions = await toolCore({
    store,
    backend,
    network,
    tools: configured({
      providers: [{ name: 'anthropic', type: 'anthropic', apiKey: KEY }],
      mcp: [
        { name: 'everything', type: 'container', image: MCP_IMAGE, port: 3001 },
        { name: 'ghost', type: 'container', image: `mai-test/no-such-image-${runId}:latest`, port: 1 },
      ],
    }),
  });
  // Driver images as `mai session create` builds them (reused when current); the MCP image once.
  for (const name of ['claude-code', 'opencode']) await ensureDriverImage(backend, catalog, catalog.get(name), (l) => say(`${name}: ${l}`), hostBuildArgs());
  await ensureMcpImage(backend, say);
  const made = await docker(['volume', 'create', '--label', `${TEST_LABEL}=${runId}`, sdkVolume]);
  assert.is(made.code, 0, made.stderr);
  const copied = await docker(['run', '--rm', '--label', `${TEST_LABEL}=${runId}`, '-v', `${sdkVolume}:/sdk`, '--user', 'root', '--entrypoint', 'sh', MCP_IMAGE, '-c', `cp -a ${MCP_SDK_MODULES}/. /sdk/`]);
  assert.is(copied.code, 0, copied.stderr);
})();

test.after(async () => {
  if (sessions) for (const s of await sessions.list(owner)) await sessions.close(s).catch(() => undefined);
  await store?.close();
  await removePersistVolumes(owner.name);
  await cleanUp(runId);
  rmSync(dataDir, { recursive: true, force: true });
});

/** Lists an MCP server's tools with the official SDK, from inside the session (Debian's Node.js there). */
const LIST_TOOLS = `
cat > /tmp/list-tools.cjs <<'EOF'
const { Client } = require('@modelcontextprotocol/sdk/client/index.js');
const { StreamableHTTPClientTransport } = require('@modelcontextprotocol/sdk/client/streamableHttp.js');
(async () => {
  const client = new Client({ name: 'mai-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(process.argv[2])));
  const { tools } = await client.listTools();
  console.log(JSON.stringify(tools.map((t) => t.name)));
  await client.close();
})().catch((e) => { console.error(String(e)); process.exit(1); });
EOF
NODE_PATH=/opt/mcp-client node /tmp/list-tools.cjs "$1"`;

async function labelsOf(container: string): Promise<Record<string, string>> {
  return JSON.parse((await docker(['inspect', '-f', '{{json .Config.Labels}}', container])).stdout) as Record<string, string>;
}

test('claude-code --mcp: the sidecar MCP server is in its config, and a client in the session lists its tools', async () => {
  await ready;
  const session = await sessions.create(owner, {
    driver: 'claude-code',
    name: 'mcp',
    mcp: ['everything'],
    volumes: [{ source: sdkVolume, target: '/opt/mcp-client', readOnly: true }],
  });
  const config = JSON.parse((await sh(sessions, session, 'cat "$CLAUDE_CONFIG_DIR/.claude.json"')).out) as { mcpServers: { everything: { type: string; url: string } } };
  assert.equal(config.mcpServers.everything, { type: 'http', url: 'http://mcp-everything:3001/mcp' });
  // The server needs a moment to listen after its container starts.
  const listed = await eventually(async () => {
    const r = await sh(sessions, session, `set -- ${config.mcpServers.everything.url}\n${LIST_TOOLS}`);
    return r.code === 0 ? r.out : undefined;
  }, 60_000, 'the MCP server to answer');
  const tools = JSON.parse(listed) as string[];
  assert.ok(tools.includes('echo') && tools.includes('get-sum'), listed);
  say(`tools listed from inside the session: ${tools.join(', ')}`);
  // The tool's own check connects to it too.
  const claude = await sh(sessions, session, 'timeout 60 claude mcp list');
  assert.match(claude.out, /everything: http:\/\/mcp-everything:3001\/mcp \(HTTP\) - \S+ Connected/, claude.out + claude.err);

  const sidecar = `mai-${session.id}-mcp-everything`;
  const labels = await labelsOf(sidecar);
  assert.is(labels['mai.session'], session.id);
  assert.is(labels['mai.owner'], owner.name);
  assert.is(labels['mai.instance'], await store.instanceId());
  assert.is(labels['mai.sidecar'], 'mcp-everything');
  const nets = (await docker(['inspect', '-f', '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}', sidecar])).stdout.trim();
  assert.is(nets, `mai-net-${session.id}`, 'the sidecar lives on the session network only');
  assert.equal((await sessions.find(owner, 'mcp')).spec.mcp, ['everything']);

  await sessions.close(session);
  assert.is.not((await docker(['inspect', sidecar])).code, 0, 'the sidecar went with the session');
  assert.is.not((await docker(['network', 'inspect', `mai-net-${session.id}`])).code, 0, 'and so did its network');
});

test('the next session without --mcp: mai takes back its entry, and keeps what the tool wrote in its persisted config', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'claude-code', name: 'after' });
  const config = JSON.parse((await sh(sessions, session, 'cat "$CLAUDE_CONFIG_DIR/.claude.json"')).out) as Record<string, unknown>;
  assert.is(config['mcpServers'], undefined, JSON.stringify(config));
  assert.ok(config['firstStartTime'], 'what claude wrote in the last session is still there');
  assert.is(session.spec.sidecars, undefined);
  assert.is(session.spec.network, undefined, 'open egress without sidecars: no network of its own');
});

test('--model anthropic/claude-x: claude-code names the model in its variables; the key is only a secret file', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'claude-code', name: 'model', model: 'anthropic/claude-x' });
  assert.is(session.spec.model, 'anthropic/claude-x');
  const res = await sh(sessions, session, 'printenv ANTHROPIC_MODEL; stat -c "%a %U" /run/mai/secrets/env/ANTHROPIC_API_KEY; env');
  assert.ok(res.out.startsWith('claude-x\n400 mai\n'), res.out);
  assert.not.match(res.out, KEY, "not in the session's environment");
  assert.is((await sh(sessions, session, 'mai-tool-env printenv ANTHROPIC_API_KEY')).out, `${KEY}\n`, 'the tool gets it');
  assert.not.match((await docker(['inspect', session.containerId!])).stdout, KEY, 'not in docker inspect');
  assert.not.match(JSON.stringify(await store.getSession(session.id)), KEY, 'not in the store');
});

test('--model anthropic/claude-x: opencode reads it from its config; the key is only a secret file', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'opencode', name: 'oc', model: 'anthropic/claude-x' });
  const res = await sh(sessions, session, 'printenv OPENCODE_CONFIG; timeout 60 opencode debug config');
  assert.ok(res.out.startsWith('/run/mai/tool/opencode.json\n'), res.out + res.err);
  const resolved = JSON.parse(res.out.slice(res.out.indexOf('{'))) as { model?: string };
  assert.is(resolved.model, 'anthropic/claude-x', 'opencode itself resolves the model mai set');
  assert.is((await sh(sessions, session, 'mai-tool-env printenv ANTHROPIC_API_KEY')).out, `${KEY}\n`);
  assert.not.match((await docker(['inspect', session.containerId!])).stdout, KEY);
  assert.not.match((await sh(sessions, session, 'env; cat /run/mai/tool/opencode.json')).out, KEY, 'neither in env nor in the config file');
});

test('all or nothing: a create that fails after its sidecar started leaves no sidecar, network, container or row', async () => {
  await ready;
  const instance = await store.instanceId();
  const made = async () => [
    (await docker(['ps', '-aq', '--filter', `label=mai.instance=${instance}`])).stdout.trim(),
    (await docker(['network', 'ls', '-q', '--filter', `label=mai.instance=${instance}`])).stdout.trim(),
    (await store.listSessions(owner.name)).length,
  ];
  const before = await made();
  // The engine refuses the session container (a bind mount of a missing path) after the MCP server is up.
  const failed = await errorCode(sessions.create(owner, { driver: 'claude-code', mcp: ['everything'], volumes: [{ source: `/nonexistent/mai-${runId}`, target: '/x' }] }));
  assert.ok(failed.startsWith('DOCKER_'), failed);
  assert.equal(await made(), before);
  // An MCP image the engine lacks is refused before anything is made, never pulled.
  assert.is(await errorCode(sessions.create(owner, { driver: 'claude-code', mcp: ['ghost'] })), 'IMAGE_MISSING');
  assert.equal(await made(), before);
});

test('a stopped session starts its MCP server again before itself', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'claude-code', name: 'restart', mcp: ['everything'] });
  const sidecar = `mai-${session.id}-mcp-everything`;
  assert.is((await docker(['stop', '-t', '1', session.containerId!, sidecar])).code, 0);
  assert.is((await sh(sessions, await sessions.find(owner, 'restart'), 'echo up')).out, 'up\n');
  assert.is((await docker(['inspect', '-f', '{{.State.Running}}', sidecar])).stdout.trim(), 'true');
  await sessions.close(session);
});

test('reconcile: sidecars and networks whose session row is gone are removed', async () => {
  await ready;
  const session = await sessions.create(owner, { driver: 'claude-code', name: 'crashed', mcp: ['everything'] });
  await store.deleteSession(session.id); // as if the process died between its row and its containers
  const report = await sessions.reconcile();
  assert.is(report.orphansRemoved, 1);
  assert.is(report.sidecarsRemoved, 1);
  assert.is(report.networksRemoved, 1);
  assert.is.not((await docker(['inspect', `mai-${session.id}-mcp-everything`])).code, 0);
  assert.is.not((await docker(['network', 'inspect', `mai-net-${session.id}`])).code, 0);
});

test.run();
