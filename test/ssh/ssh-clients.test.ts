import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { run, type RunResult } from '../helpers/run.js';

/**
 * The client matrix (README, "SSH clients"): each client as Debian ships it, against
 * the real gateway, with a certificate from its CA. A row checks output, exit code,
 * for file clients the bytes, and for one connection of each client the offer it got
 * and the cipher it took (from the gateway's audit). OpenSSH's scp, sftp and -L are
 * in ssh-transfer.test.ts.
 */
const test = suite('ssh client matrix');
const gw = new GatewayHarness();
let alice: SshUser;
let sessionId = '';
/** alice's key in PuTTY's format. */
let ppk = '';

/** Debian's interpreter, which has Debian's python3-paramiko and python3-asyncssh (not a pyenv or venv python3 on PATH). */
const PYTHON = '/usr/bin/python3';
const CLIENTS_DIR = new URL('../clients/', import.meta.url).pathname;

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'matrix']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
  ppk = join(gw.dir.path, 'alice.ppk');
  const converted = await run('puttygen', [alice.key, '-O', 'private', '-o', ppk]);
  assert.is(converted.code, 0, converted.stderr);
});
test.after(() => gw.stop());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');
const hostKeyBlob = () => Buffer.from(gw.server.hostKeyLine.split(' ')[1]!, 'base64');
const EXEC = 'echo out; echo err >&2; exit 7';

function localFile(name: string, size: number): { path: string; data: Buffer } {
  const path = join(gw.dir.path, name);
  const data = randomBytes(size);
  writeFileSync(path, data);
  return { path, data };
}

async function insideSha256(path: string): Promise<string> {
  const r = await gw.ssh(alice, 'alice', ['matrix', 'sha256sum', path]);
  assert.is(r.code, 0, r.stderr);
  return r.stdout.split(' ')[0]!;
}

/** Runs `action`; asserts the one connection it made got `offer` and took `cipher`, as the gateway audited it. */
async function assertNegotiated<T>(client: RegExp, offer: string, cipher: string, action: () => Promise<T>): Promise<T> {
  const before = gw.audit().length;
  const result = await action();
  const connect = gw.audit().slice(before).find((e) => e.event === 'connect' && client.test(String(e.client)));
  assert.ok(connect, `a connection from ${client}`);
  assert.is(connect.offer, offer);
  const handshake = gw.audit().find((e) => e.event === 'connection.handshake' && e.conn === connect.conn);
  assert.is(handshake?.cipher, cipher);
  return result;
}

function assertExec(r: RunResult): void {
  assert.is(r.code, 7, r.stderr);
  assert.is(r.stdout, 'out\n');
  assert.is(r.stderr, 'err\n');
}

test('OpenSSH ssh: exec with stdout, stderr and exit code; offered AES-GCM only', async () => {
  assertExec(await assertNegotiated(/^OpenSSH_/, 'aes-gcm', 'aes128-gcm@openssh.com', () => gw.ssh(alice, 'alice', ['matrix', EXEC])));
});

test('OpenSSH ssh -tt: a terminal, and the exit code', async () => {
  const r = await gw.ssh(alice, 'alice', ['matrix', 'test -t 0 && test -t 1 && echo on a tty; exit 3'], { extra: ['-tt'] });
  assert.is(r.code, 3, r.stderr);
  assert.match(r.stdout, 'on a tty');
});

test('OpenSSH git clone over ssh from alice+SESSION', async () => {
  const content = randomBytes(8).toString('hex');
  const made = await gw.ssh(alice, 'alice', ['matrix', `git init -q /tmp/repo && cd /tmp/repo && echo ${content} > file && git add file && git -c user.name=a -c user.email=a@example.org commit -qm first`]);
  assert.is(made.code, 0, made.stderr);
  const dest = join(gw.dir.path, 'clone');
  const GIT_SSH_COMMAND = ['ssh', ...gw.sshOptions(alice)].join(' ');
  const r = await run('git', ['clone', '-q', `alice+${sessionId}@127.0.0.1:/tmp/repo`, dest], { env: { ...process.env, GIT_SSH_COMMAND } });
  assert.is(r.code, 0, r.stderr);
  assert.is(readFileSync(join(dest, 'file'), 'utf8'), `${content}\n`);
});

test('OpenSSH rsync -e ssh, both ways, byte for byte', async () => {
  const { path, data } = localFile('rsync.bin', 2 * 1024 * 1024 + 5);
  const back = join(gw.dir.path, 'rsync-back.bin');
  const shell = ['ssh', ...gw.sshOptions(alice)].join(' ');
  const up = await run('rsync', ['-e', shell, path, `alice+${sessionId}@127.0.0.1:/tmp/rsync.bin`]);
  assert.is(up.code, 0, up.stderr);
  assert.is(await insideSha256('/tmp/rsync.bin'), sha256(data));
  const down = await run('rsync', ['-e', shell, `alice+${sessionId}@127.0.0.1:/tmp/rsync.bin`, back]);
  assert.is(down.code, 0, down.stderr);
  assert.is(sha256(readFileSync(back)), sha256(data));
});

/** PuTTY's options: the key (.ppk), its certificate (-cert, PuTTY 0.78+), the pinned host key, no prompts. */
function puttyOptions(): string[] {
  const fingerprint = `SHA256:${createHash('sha256').update(hostKeyBlob()).digest('base64').replace(/=+$/, '')}`;
  return ['-batch', '-P', String(gw.server.sshPort), '-i', ppk, '-cert', alice.cert, '-hostkey', fingerprint];
}

test('PuTTY plink -cert: exec with stdout, stderr and exit code; offered AES-GCM only', async () => {
  const r = await assertNegotiated(/^PuTTY_Release_/, 'aes-gcm', 'aes128-gcm@openssh.com', () =>
    run('plink', ['-ssh', ...puttyOptions(), 'alice@127.0.0.1', `matrix ${EXEC}`]),
  );
  assertExec(r);
});

test('PuTTY pscp -cert: put and get (SFTP), byte for byte', async () => {
  const { path, data } = localFile('pscp.bin', 1024 * 1024 + 3);
  const back = join(gw.dir.path, 'pscp-back.bin');
  const up = await run('pscp', [...puttyOptions(), path, `alice+${sessionId}@127.0.0.1:/tmp/pscp.bin`]);
  assert.is(up.code, 0, up.stderr);
  assert.is(await insideSha256('/tmp/pscp.bin'), sha256(data));
  const down = await run('pscp', [...puttyOptions(), `alice+${sessionId}@127.0.0.1:/tmp/pscp.bin`, back]);
  assert.is(down.code, 0, down.stderr);
  assert.is(sha256(readFileSync(back)), sha256(data));
});

/** test/clients/NAME-client.py: one Python client library, as Debian ships it, with alice's key and certificate. */
function python(name: 'paramiko' | 'asyncssh', login: string, ...args: string[]): Promise<RunResult> {
  const script = join(CLIENTS_DIR, `${name}-client.py`);
  return run(PYTHON, [script, String(gw.server.sshPort), alice.key, alice.cert, gw.knownHosts, login, ...args]);
}

/** put then get through a Python client's SFTP; the bytes inside the session and back must be the ones sent. */
async function pythonSftp(name: 'paramiko' | 'asyncssh'): Promise<void> {
  const { path, data } = localFile(`${name}.bin`, 1024 * 1024 + 1);
  const back = join(gw.dir.path, `${name}-back.bin`);
  const put = await python(name, `alice+${sessionId}`, 'put', path, `/tmp/${name}.bin`);
  assert.is(put.code, 0, put.stderr);
  assert.is(await insideSha256(`/tmp/${name}.bin`), sha256(data));
  const get = await python(name, `alice+${sessionId}`, 'get', `/tmp/${name}.bin`, back);
  assert.is(get.code, 0, get.stderr);
  assert.is(sha256(readFileSync(back)), sha256(data));
}

test('paramiko 2.12: exec with stdout, stderr and exit code; offered AES-CTR too, and takes it', async () => {
  assertExec(await assertNegotiated(/^paramiko_/, 'aes-gcm-or-ctr', 'aes128-ctr', () => python('paramiko', 'alice', 'exec', `matrix ${EXEC}`)));
});

test('paramiko 2.12: sftp put and get, byte for byte', () => pythonSftp('paramiko'));

test('AsyncSSH: exec with stdout, stderr and exit code; takes AES-GCM from the wider offer', async () => {
  assertExec(await assertNegotiated(/^AsyncSSH_/, 'aes-gcm-or-ctr', 'aes256-gcm@openssh.com', () => python('asyncssh', 'alice', 'exec', `matrix ${EXEC}`)));
});

test('AsyncSSH: sftp put and get, byte for byte', () => pythonSftp('asyncssh'));

test('ssh2 (Node) cannot present a certificate: its plain key is refused as AUTH_NOT_A_CERTIFICATE', async () => {
  // ssh2 (1.17) reads a certificate line as a bare key (the certificate's nonce taken for the key):
  // it has no certificate to send, through `privateKey` or an agent. Should that change, present it here.
  const certLine = readFileSync(alice.cert, 'utf8').trim();
  const parsed = ssh2.utils.parseKey(certLine) as ParsedKey;
  assert.not.ok(parsed.getPublicSSH().equals(Buffer.from(certLine.split(' ')[1]!, 'base64')), 'ssh2 keeps certificates now');
  const before = gw.audit().length;
  const hostKey = hostKeyBlob();
  const error = await assertNegotiated(/^ssh2js/, 'aes-gcm-or-ctr', 'aes128-gcm@openssh.com', () =>
    new Promise<Error & { level?: string }>((resolve) => {
      const client = new ssh2.Client();
      client.on('ready', () => resolve(new Error('authenticated'))).on('error', resolve);
      client.connect({ host: '127.0.0.1', port: gw.server.sshPort, username: 'alice', privateKey: readFileSync(alice.key), hostVerifier: (key: Buffer) => key.equals(hostKey) });
    }),
  );
  assert.is(error.level, 'client-authentication', error.message);
  assert.match(error.message, 'All configured authentication methods failed');
  const refusal = gw.audit().slice(before).find((e) => e.event === 'auth.refused');
  assert.is(refusal?.reason, 'AUTH_NOT_A_CERTIFICATE');
  assert.is(refusal?.detail, 'ssh-ed25519');
});

test.run();
