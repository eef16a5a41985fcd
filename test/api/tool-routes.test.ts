/**
 * /providers and /mcp over the server's own assembly (SQLite, nothing listening), and
 * the refusals of POST /sessions that name them wrongly: each one `{code, message}`,
 * nothing created.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sealTo } from '../../keys/secret-box.js';
import { docker } from '../docker/docker-fixtures.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture } from './api-fixture.js';

const OPERATOR_KEY = 'sk-operator-key-0123456789';
let opened: Promise<ApiFixture> | null = null;
const fixture = () =>
  (opened ??= openApiFixture('sqlite', {}, {
    providers: [{ name: 'anthropic', type: 'anthropic', apiKey: OPERATOR_KEY }],
    mcp: [{ name: 'everything', type: 'container', image: 'mai-test/mcp-everything:latest', port: 3001 }],
  }));
test.after(async () => {
  await (await opened?.catch(() => null))?.close();
});

async function call(method: string, url: string, token: string, body?: unknown) {
  const { app } = await fixture();
  const res = await app.inject({ method: method as 'GET', url, headers: bearer(token), ...(body === undefined ? {} : { payload: body as object }) });
  return { status: res.statusCode, body: res.body ? (res.json() as Record<string, unknown>) : {}, raw: res.body };
}

test('providers: the server\'s and your own, a key sealed for you, never shown back; others do not see yours', async () => {
  const listed = await call('GET', '/providers', TOKENS.alice);
  assert.equal(listed.body, { providers: [{ name: 'anthropic', type: 'anthropic', baseUrl: null, hasKey: true, source: 'config' }] });
  const { publicKey } = (await call('GET', '/projects/key', TOKENS.alice)).body as { publicKey: string };
  const apiKey = await sealTo(publicKey, 'sk-alice-own-key', 'alice');
  const added = await call('POST', '/providers', TOKENS.alice, { name: 'lab', type: 'openai-compatible', baseUrl: 'http://llm.test/v1', apiKey });
  assert.is(added.status, 201);
  assert.equal(added.body, { name: 'lab', type: 'openai-compatible', baseUrl: 'http://llm.test/v1', hasKey: true, source: 'user' });
  assert.is((await call('POST', '/providers', TOKENS.alice, { name: 'lab', type: 'openai-compatible', baseUrl: 'http://llm.test/v2' })).status, 200, 'replaced');
  const all = (await call('GET', '/providers', TOKENS.alice)).raw;
  assert.not.match(all, 'sk-');
  assert.equal(((await call('GET', '/providers', TOKENS.bob)).body.providers as { name: string }[]).map((p) => p.name), ['anthropic']);
  assert.is((await call('POST', '/providers', TOKENS.bob, { name: 'x', type: 'anthropic', apiKey })).body.code, 'INPUT_INVALID', "sealed for alice, not for bob");
  assert.is((await call('DELETE', '/providers/anthropic', TOKENS.alice)).status, 403, "the server's own");
  assert.is((await call('DELETE', '/providers/lab', TOKENS.alice)).status, 204);
  assert.is((await call('DELETE', '/providers/lab', TOKENS.alice)).body.code, 'PROVIDER_NOT_FOUND');
});

test('MCP servers: header names only; only admins name images on a server', async () => {
  const added = await call('POST', '/mcp', TOKENS.alice, { name: 'docs', type: 'remote', url: 'https://docs.test/mcp', headers: { Authorization: 'Bearer doc-secret' } });
  assert.is(added.status, 201);
  assert.equal(added.body.headers, ['Authorization']);
  const listed = await call('GET', '/mcp', TOKENS.alice);
  assert.equal((listed.body.servers as { name: string; source: string }[]).map((s) => `${s.name}:${s.source}`), ['docs:user', 'everything:config']);
  assert.not.match(listed.raw, 'doc-secret');
  const image = { name: 'mine', type: 'container', image: 'someone/miner', port: 80 };
  assert.equal([(await call('POST', '/mcp', TOKENS.alice, image)).body.code], ['AUTH_FORBIDDEN']);
  assert.is((await call('POST', '/mcp', TOKENS.root, image)).status, 201);
  assert.is((await call('POST', '/mcp', TOKENS.alice, { name: 'x', type: 'sidecar' })).status, 400);
});

test('POST /sessions naming an unknown MCP server or provider, or a bad egress: one error, nothing created', async () => {
  const { store } = await fixture();
  const instance = await store.instanceId();
  const containers = async () => (await docker(['ps', '-aq', '--filter', `label=mai.instance=${instance}`])).stdout.trim();
  const cases: [unknown, number, string, string][] = [
    [{ driver: 'claude-code', mcp: ['nosuch'] }, 404, 'MCP_NOT_FOUND', 'unknown MCP server "nosuch" (known: docs, everything)'],
    [{ driver: 'claude-code', model: 'nosuch/x' }, 404, 'PROVIDER_NOT_FOUND', 'unknown model provider "nosuch" (known: anthropic)'],
    [{ egress: 'allow:' }, 400, 'INPUT_INVALID', '--egress allow: needs at least one host (allow:github.com,registry.npmjs.org)'],
    [{ driver: 'base', model: 'anthropic/claude-x' }, 400, 'INPUT_INVALID', 'driver base takes no model (--model is for drivers that run an AI tool)'],
    [{ egress: 'none', ports: [{ container: 80, host: 20080 }] }, 400, 'INPUT_INVALID', 'ports cannot be published with --egress none; reach them with ssh -L instead'],
  ];
  for (const [body, status, code, message] of cases) {
    const res = await call('POST', '/sessions', TOKENS.alice, body);
    assert.equal([res.status, res.body], [status, { code, message }], JSON.stringify(body));
  }
  assert.equal((await call('GET', '/sessions', TOKENS.alice)).body, { sessions: [] });
  assert.is(await containers(), '');
  const doc = (await call('GET', '/openapi.json', TOKENS.alice)).body as { paths: Record<string, unknown> };
  for (const path of ['/providers', '/providers/{name}', '/mcp', '/mcp/{name}']) assert.ok(doc.paths[path], path);
});

test('a forced egress refuses another, whoever asks', async () => {
  const forced = await openApiFixture('sqlite', {}, { egress: { default: 'allow:pypi.org', force: true } });
  try {
    const res = await forced.app.inject({ method: 'POST', url: '/sessions', headers: bearer(TOKENS.root), payload: { egress: 'open' } });
    assert.equal([res.statusCode, res.json()], [403, { code: 'AUTH_FORBIDDEN', message: 'egress is fixed to allow:pypi.org on this server' }]);
  } finally {
    await forced.close();
  }
});

test.run();
