/**
 * A server whose identity-provider settings are wrong (a bad client secret): the user
 * logging in is told it is the server's configuration, in one line, and the operator's
 * log has the provider's own error.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { jsonLogger } from '../../gateway/log.js';
import { CliHome } from '../helpers/cli.js';
import { cliBrowserLogin, openRemoteWorld, type RemoteWorld } from '../helpers/remote-world.js';

const test = suite('mai CLI, misconfigured server');
const lines: string[] = [];
let opened: Promise<RemoteWorld> | null = null;
const world = () => (opened ??= openRemoteWorld({ clientSecret: 'not-the-client-secret-at-all' }, jsonLogger((line) => lines.push(line))));
const home = new CliHome();

test.after(async () => {
  await (await opened?.catch(() => null))?.close();
  home.remove();
});

test('a wrong client secret: the user hears it is the server, the operator gets the provider error', async () => {
  const w = await world();
  assert.is((await home.mai(['remote', 'add', 't', w.url])).code, 0);
  const r = await cliBrowserLogin(w, home.env(), 'alice');
  assert.is.not(r.code, 0);
  const last = r.stderr.trim().split('\n').at(-1)!;
  assert.match(last, /server's identity provider settings/);
  assert.match(last, '[IDP_MISCONFIGURED]');
  assert.not.match(last, 'failed verification');
  const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.event === 'auth.idp_misconfigured');
  assert.ok(logged, lines.join(''));
  assert.match(String(logged!.error), 'invalid_client');
  assert.not.match(lines.join(''), 'not-the-client-secret-at-all');
});

test.run();
