/** Certificates we mint, read back by the real ssh-keygen (which also checks the CA signature). */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyErrorOf } from '../../helpers/errors.js';
import { parseCertificate } from '../../../keys/openssh-cert.js';
import { decodeOpenSshEd25519PrivateKey } from '../../../keys/openssh-private-key.js';
import { parseOpenSshPublicLine, publicKeyBlobFromKeyObject, sshFingerprint } from '../../../keys/ssh-public-key.js';
import { signUserCertificate, type SignUserCertificateInput } from '../../../keys/sign-user-certificate.js';
import { verifyUserCertificate } from '../../../keys/verify-user-certificate.js';
import { FIXTURES, fixtureBlob, fixtureText, keygenList } from './fixtures.js';

const tmp = mkdtempSync(join(tmpdir(), 'mai-keys-'));
const caPrivateKey = decodeOpenSshEd25519PrivateKey(fixtureText('ca')).privateKey;
const caBlob = fixtureBlob('ca.pub');

const base: SignUserCertificateInput = {
  caPrivateKey,
  userPublicKey: fixtureText('user-ed25519.pub'),
  keyId: 'alice@mai 2020-01-01',
  principals: ['alice'],
  serial: 123456789012345n,
  validAfter: new Date('2020-01-01T00:00:00Z'),
  validBefore: new Date('2020-01-01T01:00:00Z'),
};

function listOurs(line: string, name: string): ReturnType<typeof keygenList> {
  const file = join(tmp, `${name}-cert.pub`);
  writeFileSync(file, `${line}\n`);
  return keygenList(file);
}

test.after(() => rmSync(tmp, { recursive: true, force: true }));

test('the tampered fixture proves ssh-keygen -L checks the CA signature', () => {
  const r = spawnSync('ssh-keygen', ['-L', '-f', join(FIXTURES, 'tampered-cert.pub')], { encoding: 'utf8' });
  assert.is.not(r.status, 0);
  assert.match(r.stderr, /incorrect signature/);
});

for (const [label, userKey, certType] of [
  ['ed25519', 'user-ed25519.pub', 'ssh-ed25519-cert-v01@openssh.com'],
  ['ecdsa', 'user-ecdsa.pub', 'ecdsa-sha2-nistp256-cert-v01@openssh.com'],
  ['rsa', 'user-rsa.pub', 'ssh-rsa-cert-v01@openssh.com'],
] as const) {
  test(`ssh-keygen -L reads a ${label} certificate we minted`, () => {
    const line = signUserCertificate({ ...base, userPublicKey: fixtureText(userKey), principals: ['alice', 'ops'] });
    assert.ok(line.startsWith(`${certType} AAAA`));
    assert.ok(line.endsWith(' alice@mai 2020-01-01'));
    const listing = listOurs(line, label);
    assert.is(listing.type, certType);
    assert.is(listing.certType, 'user');
    assert.is(listing.keyId, 'alice@mai 2020-01-01');
    assert.is(listing.serial, '123456789012345');
    assert.equal(listing.principals, ['alice', 'ops']);
    assert.is(listing.valid, 'from 2020-01-01T00:00:00 to 2020-01-01T01:00:00');
    assert.is(listing.signingCa, `ED25519 ${sshFingerprint(caBlob)} (using ssh-ed25519)`);
    assert.equal(listing.criticalOptions, []);
    assert.equal(listing.extensions, [
      'permit-X11-forwarding', 'permit-agent-forwarding', 'permit-port-forwarding', 'permit-pty', 'permit-user-rc',
    ]);
    const verdict = verifyUserCertificate({
      certBlob: parseOpenSshPublicLine(line).blob, trustedCaKeys: [caBlob], login: 'ops',
      now: new Date('2020-01-01T00:30:00Z'), sourceAddress: '192.0.2.7',
    });
    assert.ok(verdict.ok, verdict.ok ? '' : verdict.detail);
  });
}

test('options and extensions are written sorted; ssh-keygen lists them', () => {
  const line = signUserCertificate({
    ...base,
    userPublicKey: fixtureBlob('user-ed25519.pub'),
    criticalOptions: { 'source-address': '10.0.0.0/8,::1', 'force-command': 'mai-shell --session x' },
    extensions: { 'permit-pty': '', 'permit-X11-forwarding': '' },
  });
  const listing = listOurs(line, 'options');
  assert.equal(listing.criticalOptions, ['force-command mai-shell --session x', 'source-address 10.0.0.0/8,::1']);
  assert.equal(listing.extensions, ['permit-X11-forwarding', 'permit-pty']);
  const cert = parseCertificate(parseOpenSshPublicLine(line).blob);
  assert.equal([...cert.criticalOptions.keys()], ['force-command', 'source-address']);
  const verdict = verifyUserCertificate({
    certBlob: cert.blob, trustedCaKeys: [caBlob], login: 'alice',
    now: new Date('2020-01-01T00:30:00Z'), sourceAddress: '::ffff:10.9.8.7',
  });
  assert.equal(verdict, {
    ok: true, keyId: base.keyId, serial: base.serial, principal: 'alice', forceCommand: 'mai-shell --session x',
    permissions: { pty: true, portForwarding: false, agentForwarding: false, x11Forwarding: true, userRc: false },
  });
});

test('our parser reads back exactly what we minted', () => {
  const line = signUserCertificate({ ...base, userPublicKey: fixtureText('user-rsa.pub') });
  const cert = parseCertificate(parseOpenSshPublicLine(line).blob);
  assert.is(cert.type, 'ssh-rsa-cert-v01@openssh.com');
  assert.is(cert.nonce.length, 32);
  assert.ok(cert.publicKey.blob.equals(fixtureBlob('user-rsa.pub')));
  assert.is(cert.serial, base.serial);
  assert.is(cert.validAfter, 1577836800n);
  assert.is(cert.validBefore, 1577840400n);
  assert.ok(cert.signatureKey.equals(caBlob));
});

test('a key we generate with node:crypto is certified too', () => {
  const { publicKey } = generateKeyPairSync('ed25519');
  const line = signUserCertificate({ ...base, userPublicKey: publicKeyBlobFromKeyObject(publicKey) });
  execFileSync('ssh-keygen', ['-L', '-f', '-'], { input: `${line}\n` });
});

function assertInputInvalid(input: Partial<SignUserCertificateInput>, pattern: RegExp): void {
  const err = keyErrorOf(() => signUserCertificate({ ...base, ...input }));
  assert.ok(err.kind === 'MALFORMED' || err.kind === 'UNSUPPORTED', err.kind);
  assert.match(err.message, pattern);
}

test('bad requests are refused before signing', () => {
  assertInputInvalid({ principals: [] }, /at least one principal/);
  assertInputInvalid({ principals: ['a,b'] }, /invalid principal/);
  assertInputInvalid({ principals: ['a', 'a'] }, /duplicate/);
  assertInputInvalid({ serial: -1n }, /serial/);
  assertInputInvalid({ serial: 1n << 64n }, /serial/);
  assertInputInvalid({ validBefore: base.validAfter }, /validBefore/);
  assertInputInvalid({ validAfter: new Date('nope') }, /valid date/);
  assertInputInvalid({ userPublicKey: fixtureText('ed25519-cert.pub') }, /unsupported key type/);
  assertInputInvalid({ userPublicKey: 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA== x' }, /32/);
  assertInputInvalid({ criticalOptions: { 'force-command': '' } }, /needs a value/);
  assertInputInvalid({ extensions: { 'permit-pty': 'yes' } }, /is a flag/);
  const { privateKey: ecKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assertInputInvalid({ caPrivateKey: ecKey }, /ed25519/);
});

test.run();
