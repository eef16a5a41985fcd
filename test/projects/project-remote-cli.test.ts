/**
 * `mai -r NAME project add|list|remove`: the built CLI against `mai serve` in this
 * process (real OpenID provider, Chromium for its login page). The CLI seals the
 * secret to GET /projects/key before sending it; the server stores it encrypted;
 * nothing the CLI prints or the API returns holds it.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CliHome } from '../helpers/cli.js';
import { cliBrowserLogin, openRemoteWorld, type RemoteWorld } from '../helpers/remote-world.js';

const TOKEN = 'ghp_remote_cli_secret_0123456789';
const home = new CliHome();
let opened: Promise<RemoteWorld> | null = null;
const world = () => (opened ??= openRemoteWorld({}));

test.after(async () => {
  const w = await opened?.catch(() => null);
  await w?.close();
  home.remove();
});

test('remote project add (sealed), list, remove', async () => {
  const w = await world();
  assert.is((await home.mai(['remote', 'add', 't', w.url])).code, 0);
  const done = await cliBrowserLogin(w, home.env(), 'alice');
  assert.is(done.code, 0, done.stderr);

  const add = await home.mai(['-r', 't', 'project', 'add', 'https://git.example.com/team/app.git', '--token-stdin'], { input: `${TOKEN}\n` });
  assert.is(add.code, 0, add.stderr);
  assert.is(add.stdout, 'git.example.com/team/app\n');
  assert.not.ok(add.stderr.includes(TOKEN));

  const list = await home.mai(['-r', 't', 'project', 'list', '--json']);
  assert.is(list.code, 0, list.stderr);
  const projects = JSON.parse(list.stdout) as Array<{ id: string; auth: string; owner: string }>;
  assert.equal(projects.map((p) => [p.id, p.auth, p.owner]), [['git.example.com/team/app', 'token', 'alice']]);
  assert.not.ok(list.stdout.includes(TOKEN));

  const removed = await home.mai(['-r', 't', 'project', 'remove', 'git.example.com/team/app']);
  assert.is(removed.code, 0, removed.stderr);
  assert.equal(JSON.parse((await home.mai(['-r', 't', 'project', 'list', '--json'])).stdout), []);
  const again = await home.mai(['-r', 't', 'project', 'remove', 'git.example.com/team/app']);
  assert.is(again.code, 4, again.stderr);
  assert.match(again.stderr, '[PROJECT_NOT_FOUND]');
});

test.run();
