/**
 * Projects end to end, through the built CLI in local mode, against a real git
 * server in a container on a network this test creates (sshd with key auth,
 * apache with HTTPS + basic auth + git-http-backend): the session starts with
 * /app cloned and .mai/init.sh run; a wrong key and an unknown host key give
 * clear messages in the init log; `docker inspect` and the session's
 * environment never show the key or the token.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { cleanUp, docker, newRunId, TEST_LABEL } from '../docker/docker-fixtures.js';
import { CliHome } from '../helpers/cli.js';
import { startGitServer } from '../helpers/git-server.js';
import { eventually } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

const runId = newRunId();
const network = `mai-test-${runId}`;
const HOST = 'gitserver.test';
/** A second name for the same server, deliberately not in default_ssh_scan. */
const UNLISTED_HOST = 'gitserver2.test';
const TOKEN = `tok-${runId}-s3cr3t`;
const keys = tempDir('mai-project-keys-');
const home = new CliHome(`docker:\n  network: ${network}\nprojects:\n  default_ssh_scan: [${HOST}]\n`);
const created: string[] = [];
let goodKey = '';

const ready = (async () => {
  for (const name of ['good', 'wrong']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', join(keys.path, name)]);
  goodKey = readFileSync(join(keys.path, 'good'), 'utf8');
  const net = await docker(['network', 'create', '--label', `${TEST_LABEL}=${runId}`, network]);
  assert.is(net.code, 0, net.stderr);
  const git = await startGitServer({
    runId,
    network,
    hosts: [HOST, UNLISTED_HOST],
    authorizedKey: readFileSync(join(keys.path, 'good.pub'), 'utf8'),
    token: TOKEN,
  });
  const ca = await docker(['exec', git, 'cat', '/etc/gitserver/cert.pem']);
  writeFileSync(join(keys.path, 'ca.pem'), ca.stdout);
})();

test.after(async () => {
  await home.mai(['session', 'close', '--all']);
  // Whatever the CLI could not close (a failed run): only containers of sessions this test made.
  for (const id of created) await docker(['rm', '-fv', `mai-${id}`]);
  await cleanUp(runId);
  home.remove();
  keys.remove();
});

async function mai(args: string[], input?: string) {
  const res = await home.mai(args, input === undefined ? {} : { input });
  assert.is(res.code, 0, `mai ${args.join(' ')}: ${res.stderr}`);
  return res;
}

/** Creates a session on the project and waits for its init to finish; returns the id and the init's exit status. */
async function sessionOn(args: string[]): Promise<{ id: string; status: string; log: string }> {
  const res = await mai([...args, '--no-connect']);
  const id = res.stdout.trim();
  created.push(id);
  const status = await eventually(async () => {
    const r = await docker(['exec', `mai-${id}`, 'cat', '/home/mai/.mai/init.status']);
    return r.code === 0 ? r.stdout.trim() : undefined;
  }, 90_000, 'the project init');
  const log = (await docker(['exec', `mai-${id}`, 'cat', '/home/mai/.mai/init.log'])).stdout;
  return { id, status, log };
}

async function inSession(id: string, script: string) {
  return docker(['exec', `mai-${id}`, 'bash', '-c', script]);
}

/** Neither docker inspect nor the session's environment may hold the secret. */
async function assertHidden(id: string, secret: string) {
  const inspect = await docker(['inspect', `mai-${id}`]);
  assert.is(inspect.code, 0);
  assert.not.ok(inspect.stdout.includes(secret), 'docker inspect shows the secret');
  const env = await inSession(id, 'env; cat /proc/1/environ | tr "\\0" "\\n"');
  assert.not.ok(env.stdout.includes(secret), "the session's environment holds the secret");
}

test('ssh key: /app cloned, .mai/init.sh run, key only as a 0400 file of the session user', async () => {
  await ready;
  const url = `ssh://git@${HOST}/srv/git/repo.git`;
  const added = await mai(['project', 'add', url, '--ssh-key', join(keys.path, 'good')]);
  assert.is(added.stdout.trim(), `${HOST}/srv/git/repo`);
  assert.ok(added.stderr.includes('ssh-ed25519 '), added.stderr);

  const { id, status, log } = await sessionOn(['session', 'create', '--project', url]);
  assert.is(status, '0', log);
  assert.ok(log.includes(`fetched the SSH host key of ${HOST}`), log);
  assert.ok(log.includes('mai-init: done'), log);
  const res = await inSession(id, 'cat /app/README ~/project-init-ran; stat -c "%a %U" /run/mai/secrets/git-ssh-key');
  assert.is(res.stdout, 'hello from the test git server\nproject init ran in /app\n400 mai\n', res.stderr);
  const keyBody = goodKey.split('\n')[1]!;
  await assertHidden(id, keyBody);
  const logs = await mai(['session', 'logs', id]);
  assert.not.ok(logs.stdout.includes(keyBody));
  const db = readFileSync(join(home.dataDir, 'mai.db')).toString('latin1');
  assert.not.ok(db.includes(keyBody), 'the key is encrypted at rest');
});

test('token over HTTPS (private CA), through the `mai GIT_URL` shorthand: cloned, token scoped and hidden', async () => {
  await ready;
  const url = `https://${HOST}/git/repo.git`;
  await mai(['project', 'add', url, '--token-stdin', '--ca-cert', join(keys.path, 'ca.pem')], `${TOKEN}\n`);
  const { id, status, log } = await sessionOn([url]);
  assert.is(status, '0', log);
  assert.ok(log.includes(`using the token for https://${HOST}`), log);
  assert.ok(log.includes('trusting the project'), log);
  const res = await inSession(id, 'cat /app/README ~/project-init-ran; stat -c "%a %U" /run/mai/secrets/git-token; cat ~/.gitconfig');
  assert.ok(res.stdout.startsWith('hello from the test git server\nproject init ran in /app\n400 mai\n'), res.stdout + res.stderr);
  assert.not.ok(res.stdout.includes(TOKEN), 'the git config reads the token file; it never holds a copy');
  await assertHidden(id, TOKEN);
  const db = readFileSync(join(home.dataDir, 'mai.db')).toString('latin1');
  assert.not.ok(db.includes(TOKEN), 'the token is encrypted at rest');
});

test('a wrong key: the init log says why, and the session is still usable', async () => {
  await ready;
  const url = `git@${HOST}:/srv/git/other.git`;
  await mai(['project', 'add', url, '--ssh-key', join(keys.path, 'wrong')]);
  const { id, status, log } = await sessionOn(['session', 'create', '--project', url]);
  assert.is.not(status, '0');
  assert.ok(log.includes('the server refused the SSH key'), log);
  assert.ok(log.includes('the session starts without it'), log);
  assert.is((await inSession(id, 'echo alive; ls -A /app | wc -l')).stdout, 'alive\n0\n');
  const attach = await home.mai(['session', 'connect', id], { input: 'echo attached\n' });
  assert.is(attach.stdout, 'attached\n', attach.stderr);
});

test('a host outside default_ssh_scan without pinned host keys is refused, never trusted blindly', async () => {
  await ready;
  const { status, log } = await sessionOn(['session', 'create', '--project', `ssh://git@${UNLISTED_HOST}/srv/git/repo.git`]);
  assert.is.not(status, '0');
  assert.ok(log.includes(`no SSH host key for ${UNLISTED_HOST}`), log);
  assert.ok(log.includes('not attempted'), log);
  assert.not.ok(log.includes('Cloning into'), 'no connection attempt without a trusted host key');
});

test('project list shows no secrets; remove forgets one', async () => {
  await ready;
  const list = JSON.parse((await mai(['project', 'list', '--json'])).stdout) as Array<{ id: string; auth: string }>;
  assert.equal(list.map((p) => `${p.id} ${p.auth}`), [`${HOST}/git/repo token`, `${HOST}/srv/git/other ssh`, `${HOST}/srv/git/repo ssh`]);
  const text = (await mai(['project', 'list'])).stdout;
  assert.not.ok(text.includes(TOKEN) || text.includes('PRIVATE KEY'));
  await mai(['project', 'remove', `git@${HOST}:/srv/git/other.git`]);
  const after = JSON.parse((await mai(['project', 'list', '--json'])).stdout) as Array<{ id: string }>;
  assert.is(after.length, 2);
  const missing = await home.mai(['project', 'remove', 'github.com/nobody/nothing']);
  assert.is(missing.code, 4, missing.stderr);
});

test.run();
