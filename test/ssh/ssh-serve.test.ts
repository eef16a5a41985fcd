import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MAI_BIN } from '../helpers/cli.js';
import { eventually, run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * `mai serve` and `mai ca sign` as an operator runs them: the built binary,
 * keys made once and kept, a certificate from the CLI accepted by the real ssh,
 * and a graceful shutdown on SIGTERM that lets running commands finish.
 */
const test = suite('mai serve');
const dir = tempDir('mai-serve-');
const dataDir = join(dir.path, 'data');
const configFile = join(dir.path, 'mai-service.yaml');
const knownHosts = join(dir.path, 'known_hosts');
let server: ChildProcess | null = null;
let sshPort = 0;
let key = '';
let sessionId = '';

writeFileSync(configFile, 'docker:\n  network: mai-test\nlogging:\n  audit: ' + join(dir.path, 'audit.log') + '\n');

test.after(async () => {
  if (sessionId) await ssh(['close', sessionId]).catch(() => {});
  if (server && server.exitCode === null) server.kill('SIGKILL');
  dir.remove();
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Starts the built `mai serve` and waits for its "listening" line. */
async function startServe(): Promise<ChildProcess> {
  sshPort ||= await freePort();
  const child = spawn(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'serve', '--config', configFile, '--ssh-port', String(sshPort), '--http-port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH, HOME: dir.path },
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  await eventually(async () => stderr.includes('mai serve: ssh on port') || child.exitCode !== null, 30_000, 'mai serve to listen');
  assert.is(child.exitCode, null, stderr);
  const hostKey = readFileSync(join(dataDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
  writeFileSync(knownHosts, `[127.0.0.1]:${sshPort} ${hostKey}\n`);
  return child;
}

function sshArgs(): string[] {
  return ['-F', '/dev/null', '-p', String(sshPort), '-i', key, '-o', `CertificateFile=${key}-cert.pub`, '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'StrictHostKeyChecking=yes', '-o', 'BatchMode=yes', '-o', 'LogLevel=ERROR'];
}

function ssh(command: string[]) {
  return run('ssh', [...sshArgs(), 'carol@127.0.0.1', ...command]);
}

test('serve creates its host key and CA once, 0600, and keeps them across restarts', async () => {
  server = await startServe();
  const hostKey = join(dataDir, 'ssh_host_ed25519_key');
  const ca = join(dataDir, 'user_ca_ed25519_key');
  assert.is(statSync(hostKey).mode & 0o777, 0o600);
  assert.is(statSync(ca).mode & 0o777, 0o600);
  assert.match(readFileSync(hostKey, 'utf8'), 'BEGIN OPENSSH PRIVATE KEY');
});

test('mai ca sign prints a certificate ssh-keygen reads and ssh uses', async () => {
  key = join(dir.path, 'carol');
  await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  const signed = await run(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'ca', 'sign', '--user', 'carol', '--pubkey', `${key}.pub`, '--ttl', '1h']);
  assert.is(signed.code, 0, signed.stderr);
  writeFileSync(`${key}-cert.pub`, signed.stdout);
  const listing = await run('ssh-keygen', ['-L', '-f', `${key}-cert.pub`]);
  assert.match(listing.stdout, 'Type: ssh-ed25519-cert-v01@openssh.com user certificate');
  assert.match(listing.stdout, /Principals: \n\s+carol\n/);
  const r = await ssh(['new', '--name', 'kept']);
  assert.is(r.code, 0, r.stderr);
  sessionId = r.stdout.trim();
});

test('mai ca sign refuses bad input with one line', async () => {
  const r = await run(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'ca', 'sign', '--user', 'Bad User', '--pubkey', `${key}.pub`]);
  assert.is(r.code, 2);
  assert.is(r.stderr.trim().split('\n').length, 1);
  const ttl = await run(process.execPath, [MAI_BIN, '--data-dir', dataDir, 'ca', 'sign', '--user', 'carol', '--pubkey', `${key}.pub`, '--ttl', 'forever']);
  assert.is(ttl.code, 2);
});

test('SIGTERM: new connections refused, a running command finishes, then the process exits 0', async () => {
  const running = run('ssh', [...sshArgs(), 'carol@127.0.0.1', 'kept', 'sleep 2; echo finished']);
  await eventually(async () => readFileSync(join(dir.path, 'audit.log'), 'utf8').includes('channel.command'), 10_000, 'the command to start');
  server!.kill('SIGTERM');
  await eventually(async () => (await run('ssh', [...sshArgs(), '-o', 'ConnectTimeout=2', 'carol@127.0.0.1', 'ls'])).code === 255, 10_000, 'new connections to be refused');
  const r = await running;
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'finished\n');
  await eventually(async () => server!.exitCode !== null, 15_000, 'the server to exit');
  assert.is(server!.exitCode, 0);
});

test('after a restart the session is still there and reachable, with the same host key', async () => {
  server = await startServe();
  const r = await ssh(['kept', 'echo', '$MAI_SESSION_ID']);
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout.trim(), sessionId);
});

test.run();
