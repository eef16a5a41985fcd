/**
 * `mai provider`, `mai mcp` and the AI tool flags of `mai session create`, through the
 * built CLI in local mode: definitions kept with their secrets encrypted and never shown;
 * bad input (`--mcp nosuch`, `--model nosuch/x`, `--egress allow:`) is one clear line,
 * with its exit status, and creates nothing.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openStore } from '../../gateway/store/open-store.js';
import { CliHome } from '../helpers/cli.js';
import { run } from '../helpers/run.js';

const SECRET = `sk-cli-${process.pid}-key`;
const home = new CliHome(`docker:
  network: mai-test
providers:
  - { name: anthropic, type: anthropic, apiKey: "\${OPERATOR_KEY}" }
mcp:
  - { name: everything, type: container, image: "mai-test/mcp-everything:latest", port: 3001 }
`);
const env = { OPERATOR_KEY: 'sk-from-env' };
const mai = (args: string[], input?: string) => home.mai(args, { env, ...(input === undefined ? {} : { input }) });

test.after(() => home.remove());

function oneLineError(r: { code: number | null; stderr: string }, code: string, exit: number): string {
  assert.is(r.code, exit, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, `[${code}]`);
  return lines[0]!;
}

test('mai provider add|list|remove: the key from stdin, stored encrypted, never printed', async () => {
  const added = await mai(['provider', 'add', 'mine', '--type', 'openai', '--api-key-stdin'], `${SECRET}\n`);
  assert.is(added.code, 0, added.stderr);
  assert.is(added.stdout, 'mine\n');
  const list = await mai(['provider', 'list']);
  assert.match(list.stdout, /anthropic\s+anthropic\s+config\s+yes/);
  assert.match(list.stdout, /mine\s+openai\s+user\s+yes/);
  const json = await mai(['provider', 'list', '--json']);
  for (const text of [added.stdout, added.stderr, list.stdout, json.stdout]) assert.not.match(text, 'sk-');
  assert.not.match(readFileSync(join(home.dataDir, 'mai.db')).toString('latin1'), SECRET, 'encrypted at rest');
  oneLineError(await mai(['provider', 'add', 'x']), 'INPUT_INVALID', 2);
  oneLineError(await mai(['provider', 'remove', 'anthropic']), 'AUTH_FORBIDDEN', 77);
  assert.is((await mai(['provider', 'remove', 'mine'])).code, 0);
  oneLineError(await mai(['provider', 'remove', 'mine']), 'PROVIDER_NOT_FOUND', 4);
});

test('mai mcp add|list|remove: remote with headers, a command after --; values never printed', async () => {
  const remote = await mai(['mcp', 'add', 'docs', '--url', 'https://docs.test/mcp', '--header', `Authorization: Bearer ${SECRET}`]);
  assert.is(remote.code, 0, remote.stderr);
  const command = await mai(['mcp', 'add', 'files', '-e', `TOKEN=${SECRET}`, '--', 'npx', '-y', '@modelcontextprotocol/server-filesystem', '/app']);
  assert.is(command.code, 0, command.stderr);
  const listed = JSON.parse((await mai(['mcp', 'list', '--json'])).stdout) as { name: string; type: string; target: string; headers: string[]; env: string[] }[];
  assert.equal(listed.map((s) => [s.name, s.type, s.headers, s.env]), [
    ['docs', 'remote', ['Authorization'], []],
    ['everything', 'container', [], []],
    ['files', 'command', [], ['TOKEN']],
  ]);
  assert.is(listed[2]!.target, 'npx -y @modelcontextprotocol/server-filesystem /app');
  assert.not.match((await mai(['mcp', 'list'])).stdout, SECRET);
  assert.match(oneLineError(await mai(['mcp', 'add', 'nothing']), 'INPUT_INVALID', 2), 'say what the server is');
  assert.is((await mai(['mcp', 'remove', 'files'])).code, 0);
});

test('bad --mcp, --model and --egress: one clear line each, and nothing is created', async () => {
  assert.match(oneLineError(await mai(['session', 'create', '--driver', 'claude-code', '--mcp', 'nosuch', '--no-connect']), 'MCP_NOT_FOUND', 4), 'unknown MCP server "nosuch" (known: docs, everything)');
  assert.match(oneLineError(await mai(['session', 'create', '--driver', 'claude-code', '--model', 'nosuch/x', '--no-connect']), 'PROVIDER_NOT_FOUND', 4), 'unknown model provider "nosuch" (known: anthropic)');
  assert.match(oneLineError(await mai(['session', 'create', '--egress', 'allow:', '--no-connect']), 'INPUT_INVALID', 2), '--egress allow: needs at least one host');
  assert.match(oneLineError(await mai(['session', 'create', '--model', 'claude', '--no-connect']), 'INPUT_INVALID', 2), 'model: expected PROVIDER/MODEL');
  assert.equal(JSON.parse((await mai(['session', 'list', '--json'])).stdout), []);
  const store = await openStore({ dataDir: home.dataDir });
  const instance = await store.instanceId();
  await store.close();
  for (const what of [['ps', '-aq'], ['network', 'ls', '-q']]) {
    const found = await run('docker', [...what, '--filter', `label=mai.instance=${instance}`]);
    assert.is(found.stdout.trim(), '', `${what.join(' ')}: nothing of this store`);
  }
});

test.run();
