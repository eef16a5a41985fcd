import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { USER_CA_FILE } from '../../gateway/server-keys.js';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { run } from '../helpers/run.js';

/**
 * The certificate matrix, end to end: certificates minted by the real
 * `ssh-keygen -s` with the gateway's own CA file, offered by the real `ssh`.
 * Each way a certificate can be wrong is refused (with its reason in the audit
 * log, and only "Permission denied" for the user); each right one is accepted.
 * Certificates the real client refuses to send at all (host certificates, a bad
 * CA signature, a certificate whose key is not the signer's) are refused by the
 * same verifier, shown with fixtures in test/unit/keys.
 */
const test = suite('ssh certificate matrix');
const REVOKED_SERIAL = 4242;
// Failure slow-down off here (it has its own test below), revoked serial configured.
const gw = new GatewayHarness({ ssh: { revokedSerials: [REVOKED_SERIAL], failureDelay: { free: 1000 } } });
let caFile = '';
let n = 0;

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  caFile = join(gw.dataDir, USER_CA_FILE);
});
test.after(() => gw.stop());

async function keygen(type: 'ed25519' | 'ecdsa' | 'rsa' = 'ed25519'): Promise<string> {
  const key = join(gw.dir.path, `k${++n}`);
  const bits = type === 'rsa' ? ['-b', '3072'] : type === 'ecdsa' ? ['-b', '256'] : [];
  const r = await run('ssh-keygen', ['-q', '-t', type, ...bits, '-N', '', '-f', key]);
  assert.is(r.code, 0, r.stderr);
  return key;
}

/** A key and a certificate for it from `ssh-keygen -s CA ...args`. */
async function certified(args: string[], options: { type?: 'ed25519' | 'ecdsa' | 'rsa'; ca?: string } = {}): Promise<SshUser> {
  const key = await keygen(options.type);
  const r = await run('ssh-keygen', ['-q', '-s', options.ca ?? caFile, '-I', `test-${n}`, ...args, `${key}.pub`]);
  assert.is(r.code, 0, r.stderr);
  return { name: 'alice', key, cert: `${key}-cert.pub` };
}

/** Reasons refused during `action` (ssh offers the certificate, then the bare key: both are refused). */
async function refusalsDuring(action: () => Promise<unknown>, harness = gw): Promise<unknown[]> {
  const before = harness.audit().length;
  await action();
  return harness.audit().slice(before).filter((e) => e.event === 'auth.refused').map((e) => e.reason);
}

async function refused(user: SshUser, reason: string, login = 'alice'): Promise<void> {
  const reasons = await refusalsDuring(async () => {
    const r = await gw.ssh(user, login, ['ls']);
    assert.is(r.code, 255, `expected refusal ${reason}, got ${r.code}: ${r.stdout}`);
    assert.match(r.stderr, 'Permission denied');
    assert.not.match(r.stderr, reason);
  });
  assert.ok(reasons.includes(reason), `expected ${reason} among ${reasons.join(', ')}`);
}

async function accepted(user: SshUser, login = 'alice'): Promise<string> {
  const r = await gw.ssh(user, login, ['ls']);
  assert.is(r.code, 0, r.stderr);
  return r.stdout;
}

test('accepted: ed25519, ecdsa-sha2-nistp256 and RSA (rsa-sha2-512) user keys', async () => {
  for (const type of ['ed25519', 'ecdsa', 'rsa'] as const) {
    await accepted(await certified(['-n', 'alice', '-V', '-5m:+1h'], { type }));
  }
});

test('accepted: several principals including the login; source-address that matches', async () => {
  await accepted(await certified(['-n', 'ops,alice', '-V', '-5m:+1h']));
  await accepted(await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'source-address=10.0.0.0/8,127.0.0.1/32']));
});

test('refused: expired, and not yet valid', async () => {
  await refused(await certified(['-n', 'alice', '-V', '20200101:20200102']), 'CERT_EXPIRED');
  await refused(await certified(['-n', 'alice', '-V', '+1d:+2d']), 'CERT_NOT_YET_VALID');
});

test('refused: principal is not the login (also with +SESSION logins)', async () => {
  const bobs = await certified(['-n', 'bob', '-V', '-5m:+1h']);
  await refused(bobs, 'CERT_PRINCIPAL');
  await refused(bobs, 'CERT_PRINCIPAL', 'alice+anything');
});

test('refused: a certificate of another CA', async () => {
  const otherCa = await keygen();
  await refused(await certified(['-n', 'alice', '-V', '-5m:+1h'], { ca: otherCa }), 'CERT_UNKNOWN_CA');
});

test('refused: an unknown critical option', async () => {
  await refused(await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'critical:no-such-option=x']), 'CERT_UNKNOWN_CRITICAL_OPTION');
});

test('refused: source-address that does not match the client', async () => {
  await refused(await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'source-address=10.9.9.9/32']), 'CERT_SOURCE_ADDRESS');
});

test('refused: a revoked serial', async () => {
  await refused(await certified(['-n', 'alice', '-V', '-5m:+1h', '-z', String(REVOKED_SERIAL)]), 'CERT_REVOKED');
});

test('refused: a plain key without certificate, even one the CA signed for someone', async () => {
  const key = await keygen();
  const reasons = await refusalsDuring(async () => {
    const r = await run('ssh', [...gw.sshOptions({ key, cert: '/dev/null' }), 'alice@127.0.0.1', 'ls']);
    assert.is(r.code, 255);
  });
  assert.equal(reasons, ['AUTH_NOT_A_CERTIFICATE']);
});

test('force-command replaces what the client asks for', async () => {
  const user = await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'force-command=help']);
  const r = await gw.ssh(user, 'alice', ['new', '--name', 'sneaky']);
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, 'Usage (mai SSH gateway)');
});

test('no-pty: the pty request is refused and the session goes on without one', async () => {
  const user = await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'no-pty']);
  // `script` gives ssh a real terminal, so it asks for a pty on its own (without -t,
  // which would make a refusal fatal to the client) and carries on without one.
  const ssh = ['ssh', ...gw.sshOptions(user), 'alice@127.0.0.1'].join(' ');
  const r = await run('script', ['-qec', ssh, '/dev/null']);
  assert.is(r.code, 0, r.stdout);
  assert.match(r.stdout, 'PTY allocation request failed');
  assert.match(r.stdout, 'Usage (mai SSH gateway)');
  const allowed = await run('script', ['-qec', ['ssh', ...gw.sshOptions(await certified(['-n', 'alice', '-V', '-5m:+1h'])), 'alice@127.0.0.1'].join(' '), '/dev/null']);
  assert.is(allowed.code, 0, allowed.stdout);
  assert.not.match(allowed.stdout, 'PTY allocation request failed');
});

test('no-port-forwarding: direct-tcpip is administratively prohibited', async () => {
  const user = await certified(['-n', 'alice', '-V', '-5m:+1h', '-O', 'no-port-forwarding']);
  const r = await gw.ssh(user, 'alice+whatever', [], { extra: ['-W', 'localhost:80'] });
  assert.is.not(r.code, 0);
  const refusal = gw.audit().filter((e) => e.event === 'forward.refused').at(-1);
  assert.is(refusal?.reason, 'NOT_PERMITTED');
});

test('attempts per connection are limited', async () => {
  const keys = await Promise.all([1, 2, 3, 4].map(() => certified(['-n', 'bob', '-V', '-5m:+1h'])));
  const limited = new GatewayHarness({ ssh: { maxAuthTries: 2, failureDelay: { free: 1000 } } });
  try {
    await limited.start();
    const args = keys.flatMap((k) => ['-i', k.key, '-o', `CertificateFile=${k.cert}`]);
    const first = keys[0]!;
    const r = await run('ssh', [...limited.sshOptions(first), ...args, 'alice@127.0.0.1', 'ls']);
    assert.is(r.code, 255);
    assert.ok(limited.audit().some((e) => e.reason === 'AUTH_TOO_MANY_TRIES'));
  } finally {
    await limited.stop();
  }
});

test('repeated failures from one address are slowed down', async () => {
  const slow = new GatewayHarness({ ssh: { failureDelay: { free: 1, baseMs: 50, maxMs: 200 } } });
  try {
    await slow.start();
    const bad = await certified(['-n', 'alice', '-V', '20200101:20200102']);
    for (let i = 0; i < 3; i++) await slow.ssh(bad, 'alice', ['ls']);
    const delays = slow.audit().filter((e) => e.event === 'auth.refused').map((e) => e.delayMs);
    assert.equal(delays, [0, 50, 100, 200, 200, 200]);
  } finally {
    await slow.stop();
  }
});

test.run();
