/**
 * Remote mode end to end: the built `mai` against `mai serve` (in this process) with a
 * real OpenID provider, Chromium for the provider's pages, Docker for the sessions and
 * the real OpenSSH client with the ssh config the CLI writes. The user's whole path:
 * remote add, auth (browser and device), sessions, plain ssh, renewal, logout.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseCertificate, parseOpenSshPublicLine } from '../../keys/index.js';
import { signInAndConsent } from '../helpers/browser.js';
import { CliHome, MAI_BIN } from '../helpers/cli.js';
import { spawnLive } from '../helpers/live-process.js';
import { cliBrowserLogin, freePort, openRemoteWorld, ssh, type RemoteWorld } from '../helpers/remote-world.js';
import { run } from '../helpers/run.js';

const test = suite('mai CLI, remote mode');
/** Certificates live 20 s here, so the test can outlive one; access tokens 45 s, so one gets refreshed on the way. */
const CERT_TTL_SECONDS = 20;
let opened: Promise<RemoteWorld> | null = null;
const world = () => (opened ??= openRemoteWorld({ maxCertificateTtl: `${CERT_TTL_SECONDS}s`, accessTokenTtl: '45s', refreshTokenTtl: '1h' }));
const alice = new CliHome();
const bob = new CliHome();
const remoteDir = (home: CliHome) => join(home.configDir, 'remotes', 't');
const sshConfig = (home: CliHome) => join(remoteDir(home), 'ssh_config');
const certFile = (home: CliHome) => join(remoteDir(home), 'id_ed25519-cert.pub');
const tokensFile = (home: CliHome) => join(remoteDir(home), 'tokens');
let id = '';

test.after(async () => {
  const w = await opened?.catch(() => null);
  if (w) {
    for (const name of ['alice', 'bob']) await w.server.sessions.closeAll({ name, admin: false }).catch(() => undefined);
    await w.close();
  }
  alice.remove();
  bob.remove();
});

function oneLineError(r: { code: number | null; stderr: string }, code: string, exit: number): void {
  assert.is(r.code, exit, r.stderr);
  const lines = r.stderr.trim().split('\n');
  assert.is(lines.length, 1, r.stderr);
  assert.match(lines[0]!, `[${code}]`);
}

/** Every file under the config dir is 0600 and every folder 0700: nothing is ever looser. */
function assertPrivate(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    const mode = statSync(path).mode & 0o777;
    if (entry.isDirectory()) {
      assert.is(mode.toString(8), '700', path);
      assertPrivate(path);
    } else assert.is(mode.toString(8), '600', path);
  }
}

function certValidBefore(home: CliHome): number {
  const cert = parseCertificate(parseOpenSshPublicLine(readFileSync(certFile(home), 'utf8')).blob);
  return Number(cert.validBefore) * 1000;
}

test('remote add/list/default; unknown remote, unreachable server and no login: one line each, distinct exits', async () => {
  const w = await world();
  assert.is((await alice.mai(['remote', 'add', 't', w.url])).code, 0);
  const closed = await freePort();
  assert.is((await alice.mai(['remote', 'add', 'down', `http://127.0.0.1:${closed}`, '--default'])).code, 0);
  const list = await alice.mai(['remote', 'list']);
  assert.match(list.stdout, /NAME\s+URL\s+USER\s+DEFAULT/);
  assert.match(list.stdout, new RegExp(`t\\s+${w.url}\\s+-`));
  assert.match(list.stdout, /down\s+\S+\s+-\s+\*/);

  oneLineError(await alice.mai(['-r', 'nope', 'session', 'list']), 'REMOTE_UNKNOWN', 3);
  oneLineError(await alice.mai(['auth', '--no-browser']), 'REMOTE_UNREACHABLE', 68); // the default remote
  oneLineError(await alice.mai(['session', 'list']), 'AUTH_REQUIRED', 77);
  oneLineError(await alice.mai(['session', 'list'], { env: { MAI_REMOTE: 't' } }), 'AUTH_REQUIRED', 77);
  assert.match((await alice.mai(['--local', 'session', 'list', '--json'])).stdout, /^\[\]/);
  assert.is((await alice.mai(['remote', 'remove', 'down'])).code, 0);
  assert.not.match(readFileSync(join(alice.configDir, 'config.yaml'), 'utf8'), 'down');
});

test('auth in a browser (loopback redirect): tokens encrypted, every file 0600, ssh config written', async () => {
  const w = await world();
  const done = await cliBrowserLogin(w, alice.env(), 'alice');
  assert.is(done.code, 0, done.stderr);
  assert.match(done.stderr, 'Logged in to "t" as alice');
  assert.match(done.stderr, `Include ${sshConfig(alice)}`);

  assertPrivate(alice.configDir);
  const sealed = readFileSync(tokensFile(alice), 'utf8');
  assert.not.match(sealed, /mai_at_|mai_rt_/);
  assert.is(readFileSync(join(alice.configDir, 'key')).length, 32);
  const config = readFileSync(sshConfig(alice), 'utf8');
  assert.match(config, 'Host mai-t');
  assert.match(config, `Port ${w.server.sshPort}`);
  assert.match(config, 'User alice');
  // The pinned key, rebuilt by the CLI from the checked answer (type and key; the server's comment is not copied).
  const [type, key] = w.server.hostKeyLine.split(' ');
  assert.is(readFileSync(join(remoteDir(alice), 'known_hosts'), 'utf8'), `[127.0.0.1]:${w.server.sshPort} ${type} ${key}\n`);
  assert.match((await alice.mai(['remote', 'list'])).stdout, /t\s+\S+\s+alice/);
});

test('session create/list/logs over REST, same output as local mode', async () => {
  const created = await alice.mai(['-r', 't', 'session', 'create', '--no-connect', '--name', 'web', '-e', 'FOO=bar']);
  assert.is(created.code, 0, created.stderr);
  id = created.stdout.trim();
  assert.match(id, /^[a-z2-9]{10}$/);
  const json = JSON.parse((await alice.mai(['-r', 't', 'session', 'list', '--json'])).stdout) as Array<Record<string, string>>;
  assert.equal(json.map((s) => [s.id, s.name, s.driver, s.status, s.owner]), [[id, 'web', 'base', 'running', 'alice']]);
  assert.match((await alice.mai(['-r', 't', 'session', 'list'])).stdout, new RegExp(`ID\\s+NAME\\s+DRIVER\\s+STATUS\\s+CREATED\\s+EXPIRES\\n${id}\\s+web\\s+base\\s+running`));
  assert.is((await alice.mai(['-r', 't', 'session', 'logs', 'web'])).code, 0);
  oneLineError(await alice.mai(['-r', 't', 'session', 'connect', 'nosuch']), 'SESSION_NOT_FOUND', 4);
});

test('plain ssh with the written config runs a command in the session', async () => {
  const r = await ssh(['-F', sshConfig(alice), 'mai-t', id, 'echo "$FOO from $MAI_SESSION_ID"']);
  assert.is(r.status, 0, r.stderr);
  assert.is(r.stdout, `bar from ${id}\n`);
});

test('connect and --run go through the system ssh: stdin in, output out, exit code back', async () => {
  const connect = await alice.mai(['-r', 't', 'session', 'connect', 'web'], { input: 'echo "$FOO in $MAI_SESSION_NAME"\nexit 5\n' });
  assert.is(connect.code, 5, connect.stderr);
  assert.match(connect.stdout, 'bar in web');
  const runner = await alice.mai(['-r', 't', 'session', 'create', '--name', 'runner', '--run', 'echo "in $MAI_SESSION_NAME"; exit 3']);
  assert.is(runner.code, 3, runner.stderr);
  assert.match(runner.stdout, /^[a-z2-9]{10}\nin runner\n$/);
  assert.is((await alice.mai(['-r', 't', 'session', 'close', 'runner'])).code, 0);
});

test('a terminal through the system ssh is recorded on the server: listed and printed by the CLI', async () => {
  const command = [process.execPath, MAI_BIN, '-r', 't', 'session', 'connect', 'web'].join(' ');
  const r = await run('script', ['-qec', command, '/dev/null'], { env: alice.env(), input: 'echo remote-tape-$((6*7))\nexit\n' });
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, 'this terminal is recorded');
  const list = await alice.mai(['-r', 't', 'session', 'recordings', 'web', '--json']);
  assert.is(list.code, 0, list.stderr);
  assert.equal((JSON.parse(list.stdout) as Array<{ n: number; user: string }>).map((x) => [x.n, x.user]), [[1, 'alice']]);
  const cast = await alice.mai(['-r', 't', 'session', 'recordings', 'web', '1']);
  assert.is(cast.code, 0, cast.stderr);
  const [head, ...events] = cast.stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as unknown);
  assert.is((head as { version: number }).version, 2);
  assert.match((events as [number, string, string][]).map((e) => e[2]).join(''), 'remote-tape-42');
});

test('an expired certificate is refused by plain ssh; the CLI renews it before using ssh (and refreshes the token)', async () => {
  const before = readFileSync(certFile(alice), 'utf8');
  const tokensBefore = readFileSync(tokensFile(alice), 'utf8');
  const expiry = certValidBefore(alice);
  await new Promise((r) => setTimeout(r, Math.max(0, expiry - Date.now()) + 1500));
  const refused = await ssh(['-F', sshConfig(alice), 'mai-t', id, 'true']);
  assert.is.not(refused.status, 0, 'an expired certificate must not log in');

  const connect = await alice.mai(['-r', 't', 'session', 'connect', 'web'], { input: 'exit 0\n' });
  assert.is(connect.code, 0, connect.stderr);
  assert.is.not(readFileSync(certFile(alice), 'utf8'), before);
  assert.ok(certValidBefore(alice) > Date.now());
  assert.is.not(readFileSync(tokensFile(alice), 'utf8'), tokensBefore, 'the access token was near its end and got refreshed');
  assertPrivate(alice.configDir);
  const again = await ssh(['-F', sshConfig(alice), 'mai-t', id, 'echo renewed']);
  assert.is(again.status, 0, again.stderr);
  assert.is(again.stdout, 'renewed\n');
});

test('logout revokes on the server: ssh refused, even with a copy of the certificate; a stale login is AUTH_EXPIRED', async () => {
  const savedCert = join(alice.dir.path, 'saved-cert.pub');
  const savedTokens = join(alice.dir.path, 'saved-tokens');
  copyFileSync(certFile(alice), savedCert);
  copyFileSync(tokensFile(alice), savedTokens);

  const out = await alice.mai(['-r', 't', 'logout']);
  assert.is(out.code, 0, out.stderr);
  assert.not.ok(statSync(tokensFile(alice), { throwIfNoEntry: false }));
  const refused = await ssh(['-F', sshConfig(alice), 'mai-t', id, 'true']);
  assert.is.not(refused.status, 0);
  const withCopy = await ssh(['-F', sshConfig(alice), '-o', `CertificateFile=${savedCert}`, 'mai-t', id, 'true']);
  assert.is.not(withCopy.status, 0, 'the revoked certificate must be refused');
  assert.match(withCopy.stderr, /Permission denied/);

  oneLineError(await alice.mai(['-r', 't', 'session', 'list']), 'AUTH_REQUIRED', 77);
  copyFileSync(savedTokens, tokensFile(alice));
  oneLineError(await alice.mai(['-r', 't', 'session', 'list']), 'AUTH_EXPIRED', 79);
});

test('auth --device: prints the code and URL, polls until approved; MAI_REMOTE and the GIT_URL shorthand work', async () => {
  const w = await world();
  assert.is((await bob.mai(['remote', 'add', 't', w.url])).code, 0);
  const ownKey = join(bob.dir.path, 'my_key');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'bob-own', '-f', ownKey]);
  const login = spawnLive(process.execPath, [MAI_BIN, 'auth', '--device', '--key', ownKey], bob.env({ MAI_REMOTE: 't' }));
  const [, code] = await login.waitFor(/enter the code (\S+)/);
  const [, complete] = await login.waitFor(/\(or open (\S+)\)/);
  assert.ok(complete!.includes(encodeURIComponent(code!)) || complete!.includes(code!), complete);
  const page = await w.browser.page();
  await page.goto(complete!);
  await page.locator('button[type="submit"][form="op.deviceConfirmForm"]:not([name])').click();
  await page.waitForLoadState();
  await signInAndConsent(page, 'bob');
  const done = await login.done;
  await page.context().close();
  assert.is(done.code, 0, done.stderr);
  assertPrivate(bob.configDir);
  // --key: the user's own key is certified and named in the config; mai made none.
  assert.match(readFileSync(sshConfig(bob), 'utf8'), `IdentityFile "${ownKey}"`);
  const certified = parseCertificate(parseOpenSshPublicLine(readFileSync(certFile(bob), 'utf8')).blob).publicKey.blob;
  assert.ok(certified.equals(parseOpenSshPublicLine(readFileSync(`${ownKey}.pub`, 'utf8')).blob));
  assert.not.ok(statSync(join(remoteDir(bob), 'id_ed25519'), { throwIfNoEntry: false }));
  const usage = await ssh(['-F', sshConfig(bob), 'mai-t']);
  assert.is(usage.status, 0, usage.stderr);
  assert.equal(JSON.parse((await bob.mai(['-r', 't', 'session', 'list', '--json'])).stdout), []);
  const cert = readFileSync(certFile(bob), 'utf8');
  const renew = await bob.mai(['-r', 't', 'auth', '--renew']);
  assert.is(renew.code, 0, renew.stderr);
  assert.is.not(readFileSync(certFile(bob), 'utf8'), cert, 'auth --renew mints a new certificate without a login');

  const project = 'https://127.0.0.1:9/nowhere.git';
  const shorthand = await bob.mai(['-r', 't', project, '--no-connect']);
  assert.is(shorthand.code, 0, shorthand.stderr);
  const [made] = JSON.parse((await bob.mai(['-r', 't', 'session', 'list', '--json'])).stdout) as Array<Record<string, string>>;
  assert.is(made!.id, shorthand.stdout.trim());
  assert.is(made!.projectUrl, project);
  assert.is((await bob.mai(['-r', 't', 'session', 'close', '--all'])).code, 0);
});

test.run();
