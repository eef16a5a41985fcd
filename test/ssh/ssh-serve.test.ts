import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAI_BIN } from '../helpers/cli.js';
import { eventually, run } from '../helpers/run.js';
import { ServeProcess, type SshUser } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `mai serve` and `mai ca sign` as an operator runs them: the built binary,
 * keys made once and kept, a certificate from the CLI accepted by the real ssh,
 * and a graceful shutdown on SIGTERM that lets running commands finish.
 */
const test = suite('mai serve');
const dir = tempDir('mai-serve-');
const serve = new ServeProcess(dir.path);
const dataDir = serve.dataDir;
let carol: SshUser;
let sessionId = '';

test.after(async () => {
  if (sessionId) await ssh(['close', sessionId]).catch(() => {});
  serve.kill();
  dir.remove();
});

function ssh(command: string[], extra: string[] = []) {
  return serve.ssh(carol, command, extra);
}

test('serve creates its host key and CA once, 0600, and keeps them across restarts', async () => {
  await serve.start();
  const hostKey = join(dataDir, 'ssh_host_ed25519_key');
  const ca = join(dataDir, 'user_ca_ed25519_key');
  assert.is(statSync(hostKey).mode & 0o777, 0o600);
  assert.is(statSync(ca).mode & 0o777, 0o600);
  assert.match(readFileSync(hostKey, 'utf8'), 'BEGIN OPENSSH PRIVATE KEY');
});

test('mai ca sign prints a certificate ssh-keygen reads and ssh uses', async () => {
  const { signed, ...user } = await serve.user('carol');
  assert.is(signed.code, 0, signed.stderr);
  carol = user;
  const listing = await run('ssh-keygen', ['-L', '-f', carol.cert]);
  assert.match(listing.stdout, 'Type: ssh-ed25519-cert-v01@openssh.com user certificate');
  assert.match(listing.stdout, /Principals: \n\s+carol\n/);
  const r = await ssh(['new', '--name', 'kept']);
  assert.is(r.code, 0, r.stderr);
  sessionId = r.stdout.trim();
});

test('mai ca sign refuses bad input with one line', async () => {
  const r = await run(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'ca', 'sign', '--user', 'Bad User', '--pubkey', `${carol.key}.pub`]);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const ttl = await run(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'ca', 'sign', '--user', 'carol', '--pubkey', `${carol.key}.pub`, '--ttl', 'forever']);
  assert.is(ttl.code, 2);
});

test('SIGTERM: new connections refused, a running command finishes, then the process exits 0', async () => {
  const running = ssh(['kept', 'sleep 2; echo finished']);
  await eventually(async () => readFileSync(serve.auditFile, 'utf8').includes('channel.command'), 10_000, 'the command to start');
  serve.kill('SIGTERM');
  await eventually(async () => (await ssh(['ls'], ['-o', 'ConnectTimeout=2'])).code === 255, 10_000, 'new connections to be refused');
  const r = await running;
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'finished\n');
  await eventually(async () => serve.child!.exitCode !== null, 15_000, 'the server to exit');
  assert.is(serve.child!.exitCode, 0);
});

test('after a restart the session is still there and reachable, with the same host key', async () => {
  await serve.start();
  const r = await ssh(['kept', 'echo', '$MAI_SESSION_ID']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), sessionId);
});

test.run();
