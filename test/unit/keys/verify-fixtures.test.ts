/**
 * Golden fixtures minted by the real ssh-keygen (test/fixtures/certs/make-fixtures.sh):
 * every entry of cases.json is one verifyUserCertificate test.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { CERT_REFUSALS, verifyUserCertificate, type CertPermissions } from '../../../keys/verify-user-certificate.js';
import { fixtureBlob, fixtureText } from './fixtures.js';

interface Case {
  name: string;
  cert: string;
  login?: string;
  now?: string;
  sourceAddress?: string;
  trust?: string[];
  revoked?: string[];
  expect: string;
  keyId?: string;
  serial?: string;
  forceCommand?: string;
  permissions?: CertPermissions;
}

const { cases } = JSON.parse(fixtureText('cases.json')) as { cases: Case[] };

for (const c of cases) {
  test(`fixture: ${c.name} (${c.cert}) -> ${c.expect}`, () => {
    const verdict = verifyUserCertificate({
      certBlob: fixtureBlob(c.cert),
      trustedCaKeys: (c.trust ?? ['ca.pub']).map(fixtureBlob),
      login: c.login ?? 'alice',
      now: new Date(c.now ?? '2020-01-01T12:00:00Z'),
      sourceAddress: c.sourceAddress ?? '192.0.2.7',
      ...(c.revoked ? { revokedSerials: new Set(c.revoked.map(BigInt)) } : {}),
    });
    if (c.expect !== 'ok') {
      assert.equal(verdict.ok, false, `expected ${c.expect}`);
      if (!verdict.ok) {
        assert.is(verdict.reason, c.expect, verdict.detail);
        assert.ok(verdict.detail.length > 0);
      }
      return;
    }
    if (!verdict.ok) assert.unreachable(`refused: ${verdict.reason} ${verdict.detail}`);
    else {
      assert.is(verdict.principal, c.login ?? 'alice');
      if (c.keyId !== undefined) assert.is(verdict.keyId, c.keyId);
      if (c.serial !== undefined) assert.is(verdict.serial, BigInt(c.serial));
      assert.is(verdict.forceCommand, c.forceCommand);
      if (c.permissions) assert.equal(verdict.permissions, c.permissions);
    }
  });
}

test('every refusal code is covered by a fixture or another test', () => {
  const fromFixtures = new Set(cases.map((c) => c.expect));
  // Derived from the check's own list: a new refusal without a fixture fails here.
  // CERT_BAD_CLIENT_SIGNATURE is covered in client-signature.test.ts (needs live signing).
  for (const code of CERT_REFUSALS.filter((c) => c !== 'CERT_BAD_CLIENT_SIGNATURE')) {
    assert.ok(fromFixtures.has(code), `no fixture case for ${code}`);
  }
});

test('revokedSerials may be a predicate', () => {
  const verdict = verifyUserCertificate({
    certBlob: fixtureBlob('ed25519-cert.pub'),
    trustedCaKeys: [fixtureBlob('ca.pub')],
    login: 'alice',
    now: new Date('2020-01-01T12:00:00Z'),
    sourceAddress: '192.0.2.7',
    revokedSerials: (serial) => serial === 1n,
  });
  assert.equal(verdict.ok ? 'ok' : verdict.reason, 'CERT_REVOKED');
});

test('a plain key where a certificate is expected is malformed', () => {
  const verdict = verifyUserCertificate({
    certBlob: fixtureBlob('user-ed25519.pub'),
    trustedCaKeys: [fixtureBlob('ca.pub')],
    login: 'alice',
    now: new Date('2020-01-01T12:00:00Z'),
    sourceAddress: '192.0.2.7',
  });
  assert.equal(verdict.ok ? 'ok' : verdict.reason, 'CERT_MALFORMED');
});

test('a certificate presented under another algorithm name is malformed; RSA ones under their SHA-2 names are not', () => {
  // Found by the SSH fuzzer (test/fuzz/ssh-server.test.ts): an ed25519 certificate named ssh-rsa-cert-v01 was let in.
  const check = (cert: string, algorithm: string) => {
    const verdict = verifyUserCertificate({
      certBlob: fixtureBlob(cert),
      algorithm,
      trustedCaKeys: [fixtureBlob('ca.pub')],
      login: 'alice',
      now: new Date('2020-01-01T12:00:00Z'),
      sourceAddress: '192.0.2.7',
    });
    return verdict.ok ? 'ok' : verdict.reason;
  };
  assert.is(check('ed25519-cert.pub', 'ssh-ed25519-cert-v01@openssh.com'), 'ok');
  assert.is(check('ed25519-cert.pub', 'ssh-rsa-cert-v01@openssh.com'), 'CERT_MALFORMED');
  assert.is(check('ed25519-cert.pub', 'ssh-ed25519'), 'CERT_MALFORMED');
  assert.is(check('ecdsa-cert.pub', 'ssh-ed25519-cert-v01@openssh.com'), 'CERT_MALFORMED');
  assert.is(check('rsa-cert.pub', 'rsa-sha2-512-cert-v01@openssh.com'), 'ok');
  assert.is(check('rsa-cert.pub', 'rsa-sha2-256-cert-v01@openssh.com'), 'ok');
});

test.run();
