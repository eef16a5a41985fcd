import { X509Certificate } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkTlsPair, generateSelfSignedCertificate, normalizeTlsFingerprint, tlsFingerprint, type TlsMaterial } from '../../../keys/index.js';
import { keyErrorOf } from '../../helpers/errors.js';
import { run } from '../../helpers/run.js';
import { tempDir } from '../../helpers/tmp.js';

const dir = tempDir('mai-tls-');
let first: TlsMaterial;
const made = (async () => {
  first = await generateSelfSignedCertificate({ commonName: 'mai.example.test', altNames: ['localhost', 'mai.example.test', '127.0.0.1', '::1'], days: 30, now: new Date('2030-01-01T00:00:00Z') });
})();

test.after(() => dir.remove());

test('a self-signed server certificate: the names asked for, serverAuth, the validity asked for, a matching key', async () => {
  await made;
  const cert = new X509Certificate(first.certPem);
  assert.is(cert.subject, 'CN=mai.example.test');
  assert.is(cert.issuer, cert.subject);
  assert.is(cert.subjectAltName, 'DNS:localhost, DNS:mai.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
  assert.equal(cert.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  assert.is(cert.ca, false);
  assert.ok(cert.verify(cert.publicKey), 'self-signed');
  assert.is(Date.parse(cert.validTo) - Date.parse('2030-01-01T00:00:00Z'), 30 * 86_400_000);
  checkTlsPair(first);
});

test('the fingerprint is the one openssl prints, and a typed one in any form normalizes to it', async () => {
  await made;
  const file = join(dir.path, 'cert.pem');
  writeFileSync(file, first.certPem);
  const openssl = await run('openssl', ['x509', '-in', file, '-noout', '-fingerprint', '-sha256']);
  assert.is(openssl.code, 0, openssl.stderr);
  const printed = openssl.stdout.trim().split('=')[1]!;
  const fingerprint = tlsFingerprint(first.certPem);
  assert.is(fingerprint, `SHA256:${printed}`);
  assert.is(normalizeTlsFingerprint(fingerprint.toLowerCase()), fingerprint);
  assert.is(normalizeTlsFingerprint(printed.replace(/:/g, '')), fingerprint);
  assert.is(normalizeTlsFingerprint('SHA256:AB:CD'), null);
  assert.is(normalizeTlsFingerprint(`SHA256:${'zz:'.repeat(31)}zz`), null);
});

test('each certificate is new (key and serial); a key from another pair, or no PEM at all, is refused', async () => {
  await made;
  const second = await generateSelfSignedCertificate({ commonName: 'mai', altNames: ['localhost'], days: 1 });
  assert.is.not(tlsFingerprint(second.certPem), tlsFingerprint(first.certPem));
  assert.is.not(new X509Certificate(second.certPem).serialNumber, new X509Certificate(first.certPem).serialNumber);
  assert.match(keyErrorOf(() => checkTlsPair({ certPem: first.certPem, keyPem: second.keyPem })).message, 'does not belong');
  assert.is(keyErrorOf(() => checkTlsPair({ certPem: 'nope', keyPem: first.keyPem })).kind, 'MALFORMED');
  assert.is(keyErrorOf(() => tlsFingerprint('nope')).kind, 'MALFORMED');
});

test.run();
