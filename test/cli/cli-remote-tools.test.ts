/**
 * `mai -r NAME provider|mcp ...`: the built CLI against `mai serve` in this process. The
 * CLI seals the key and header values to GET /projects/key before they leave; the server
 * opens them for this user only; nothing the CLI prints holds them.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliHome } from '../helpers/cli.js';
import { cliBrowserLogin, openRemoteWorld, type RemoteWorld } from '../helpers/remote-world.js';

const KEY = 'sk-remote-cli-secret-0123456789';
const home = new CliHome();
let opened: Promise<RemoteWorld> | null = null;
const world = () => (opened ??= openRemoteWorld({}));

test.after(async () => {
  const w = await opened?.catch(() => null);
  await w?.close();
  home.remove();
});

test('remote provider and MCP server: added sealed, listed without secrets, removed', async () => {
  const w = await world();
  assert.is((await home.mai(['remote', 'add', 't', w.url])).code, 0);
  const done = await cliBrowserLogin(w, home.env(), 'alice');
  assert.is(done.code, 0, done.stderr);

  const add = await home.mai(['-r', 't', 'provider', 'add', 'work', '--type', 'anthropic', '--api-key-env', 'WORK_KEY'], { env: { WORK_KEY: KEY } });
  assert.is(add.code, 0, add.stderr);
  const providers = JSON.parse((await home.mai(['-r', 't', 'provider', 'list', '--json'])).stdout) as Array<{ name: string; hasKey: boolean; source: string }>;
  assert.equal(providers, [{ name: 'work', type: 'anthropic', baseUrl: null, hasKey: true, source: 'user' }]);
  const mcp = await home.mai(['-r', 't', 'mcp', 'add', 'docs', '--url', 'https://docs.test/mcp', '--header', `X-Api-Key: ${KEY}`]);
  assert.is(mcp.code, 0, mcp.stderr);
  const servers = await home.mai(['-r', 't', 'mcp', 'list']);
  assert.match(servers.stdout, /docs\s+remote\s+user\s+streamable-http\s+https:\/\/docs\.test\/mcp/);
  for (const r of [add, mcp, servers]) assert.not.match(r.stdout + r.stderr, KEY);
  // Running sessions on the server cannot run an image a user names.
  const image = await home.mai(['-r', 't', 'mcp', 'add', 'miner', '--image', 'someone/miner', '--port', '80']);
  assert.is(image.code, 77, image.stderr);
  assert.match(image.stderr, '[AUTH_FORBIDDEN]');

  assert.is((await home.mai(['-r', 't', 'provider', 'remove', 'work'])).code, 0);
  assert.is((await home.mai(['-r', 't', 'mcp', 'remove', 'docs'])).code, 0);
  assert.equal(JSON.parse((await home.mai(['-r', 't', 'provider', 'list', '--json'])).stdout), []);
});

test.run();
