/** parseCertificate: agreement with ssh-keygen on every golden fixture, and strictness. */
import { readdirSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyErrorOf } from '../../helpers/errors.js';
import { encodeCertificateBody, parseCertificate, type CertificateFields } from '../../../keys/openssh-cert.js';
import { decodeOpenSshEd25519PrivateKey } from '../../../keys/openssh-private-key.js';
import { sshFingerprint } from '../../../keys/ssh-public-key.js';
import { signSshEd25519 } from '../../../keys/ssh-signature.js';
import { SshWriter } from '../../../keys/ssh-wire.js';
import { verifyUserCertificate } from '../../../keys/verify-user-certificate.js';
import { FIXTURES, fixtureBlob, fixtureText, keygenList, keygenValidity } from './fixtures.js';

const certFiles = readdirSync(FIXTURES).filter(
  (f) => f.endsWith('-cert.pub') && f !== 'tampered-cert.pub' && f !== 'truncated-cert.pub',
);

/** How ssh-keygen -L prints one option: name, then its value or an UNKNOWN OPTION dump. */
function renderOption(name: string, value: string, known: boolean): string {
  if (value === '') return name;
  if (known) return `${name} ${value}`;
  const data = new SshWriter().writeString(value).toBuffer();
  return `${name} UNKNOWN OPTION: ${data.toString('hex')} (len ${data.length})`;
}

for (const file of certFiles) {
  test(`parser agrees with ssh-keygen -L: ${file}`, () => {
    const cert = parseCertificate(fixtureBlob(file));
    const listing = keygenList(FIXTURES + file);
    assert.is(cert.type, listing.type);
    assert.is(cert.certType, listing.certType);
    assert.is(cert.keyId, listing.keyId);
    assert.is(cert.serial.toString(), listing.serial);
    assert.is(keygenValidity(cert.validAfter, cert.validBefore), listing.valid);
    assert.equal([...cert.principals], listing.principals);
    assert.ok(listing.signingCa.includes(sshFingerprint(cert.signatureKey)), listing.signingCa);
    const known = new Set(['force-command', 'source-address']);
    assert.equal(
      [...cert.criticalOptions].map(([n, v]) => renderOption(n, v, known.has(n))),
      listing.criticalOptions,
    );
    assert.equal([...cert.extensions].map(([n, v]) => renderOption(n, v, false)), listing.extensions);
    // The certified key is the user key the script signed.
    const userKey = file.startsWith('ecdsa') || file.startsWith('forever') ? 'user-ecdsa.pub'
      : file.startsWith('rsa') || file.startsWith('other-ca-sha256') ? 'user-rsa.pub' : 'user-ed25519.pub';
    assert.ok(cert.publicKey.blob.equals(fixtureBlob(userKey)));
    assert.ok(cert.blob.subarray(0, cert.signedPortion.length).equals(cert.signedPortion));
  });
}

const ca = decodeOpenSshEd25519PrivateKey(fixtureText('ca')).privateKey;
const baseFields: CertificateFields = {
  nonce: Buffer.alloc(32, 7),
  publicKeyBlob: fixtureBlob('user-ed25519.pub'),
  serial: 42n,
  certType: 'user',
  keyId: 'handmade',
  principals: ['alice'],
  validAfter: 1577836800n,
  validBefore: 1577923200n,
  criticalOptions: [],
  extensions: [['permit-pty', '']],
  signatureKey: fixtureBlob('ca.pub'),
};

/** A certificate built field by field (possibly breaking the rules), correctly signed by the fixture CA. */
function handmade(overrides: Partial<CertificateFields> = {}, mangle: (body: Buffer) => Buffer = (b) => b): Buffer {
  const body = mangle(encodeCertificateBody({ ...baseFields, ...overrides }));
  return Buffer.concat([body, new SshWriter().writeString(signSshEd25519(ca, body)).toBuffer()]);
}

function assertCertInvalid(blob: Buffer, pattern: RegExp): void {
  const err = keyErrorOf(() => parseCertificate(blob));
  assert.is(err.kind, 'CERT_MALFORMED');
  assert.match(err.message, pattern);
  const verdict = verifyUserCertificate({
    certBlob: blob, trustedCaKeys: [fixtureBlob('ca.pub')], login: 'alice',
    now: new Date('2020-01-01T12:00:00Z'), sourceAddress: '192.0.2.7',
  });
  assert.equal(verdict.ok ? 'ok' : verdict.reason, 'CERT_MALFORMED');
}

test('a well-formed handmade certificate parses and verifies', () => {
  const cert = parseCertificate(handmade());
  assert.is(cert.keyId, 'handmade');
  assert.equal([...cert.extensions.keys()], ['permit-pty']);
  const verdict = verifyUserCertificate({
    certBlob: handmade(), trustedCaKeys: [fixtureBlob('ca.pub')], login: 'alice',
    now: new Date('2020-01-01T12:00:00Z'), sourceAddress: '192.0.2.7',
  });
  assert.ok(verdict.ok);
});

test('options out of lexical order are refused', () => {
  assertCertInvalid(handmade({ extensions: [['permit-pty', ''], ['permit-X11-forwarding', '']] }), /lexical order/);
});

test('duplicate options are refused', () => {
  assertCertInvalid(handmade({ criticalOptions: [['force-command', 'a'], ['force-command', 'b']] }), /lexical order or duplicated/);
});

test('a flag carrying data is refused', () => {
  assertCertInvalid(handmade({ extensions: [['permit-pty', 'yes']] }), /is a flag/);
});

test('force-command without a value is refused', () => {
  assertCertInvalid(handmade({ criticalOptions: [['force-command', '']] }), /has no value/);
});

test('option data that is not exactly one string is refused', () => {
  // Re-encode the extensions field by hand: name "x-ext", data = string "v" + one stray byte.
  const ext = new SshWriter().writeString('x-ext').writeString(Buffer.from([0, 0, 0, 1, 0x76, 0x00])).toBuffer();
  const markerEntry = new SshWriter().writeString('zz-marker').writeString(new SshWriter().writeString('m').toBuffer());
  const marker = new SshWriter().writeString(markerEntry.toBuffer()).toBuffer();
  const blob = handmade({ extensions: [['zz-marker', 'm']] }, (body) => {
    const at = body.indexOf(marker);
    assert.ok(at > 0);
    return Buffer.concat([body.subarray(0, at), new SshWriter().writeString(ext).toBuffer(), body.subarray(at + marker.length)]);
  });
  assertCertInvalid(blob, /trailing/);
});

test('an unknown certificate type name is refused', () => {
  const blob = handmade({}, (body) => {
    const copy = Buffer.from(body);
    copy.write('v02', copy.indexOf('v01'));
    return copy;
  });
  assertCertInvalid(blob, /unsupported certificate type/);
});

test('an unknown certificate role is refused', () => {
  const good = handmade();
  const cert = parseCertificate(good);
  // The uint32 type sits right after the serial; find serial 42 followed by role 1.
  const at = good.indexOf(Buffer.from([0, 0, 0, 0, 0, 0, 0, 42, 0, 0, 0, 1]));
  const bad = Buffer.from(good.subarray(0, cert.signedPortion.length));
  bad[at + 11] = 3;
  const resigned = Buffer.concat([bad, new SshWriter().writeString(signSshEd25519(ca, bad)).toBuffer()]);
  assertCertInvalid(resigned, /role 3/);
});

test('trailing data after the signature is refused', () => {
  assertCertInvalid(Buffer.concat([handmade(), Buffer.from([0])]), /trailing/);
});

test('an empty principal name is refused', () => {
  assertCertInvalid(handmade({ principals: ['alice', ''] }), /empty principal/);
});

test.run();
