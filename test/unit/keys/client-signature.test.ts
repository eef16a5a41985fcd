/**
 * Client signatures: verifySshSignature against real OpenSSH signatures (ssh-keygen -Y
 * sign) and against node:crypto ones, and the client-signature step of
 * verifyUserCertificate for every key type.
 */
import { createHash, createPrivateKey, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeOpenSshEd25519PrivateKey } from '../../../keys/openssh-private-key.js';
import { parseOpenSshPublicLine, publicKeyBlobFromKeyObject } from '../../../keys/ssh-public-key.js';
import { verifySshSignature } from '../../../keys/ssh-signature.js';
import { signUserCertificate } from '../../../keys/sign-user-certificate.js';
import { SshReader, SshWriter } from '../../../keys/ssh-wire.js';
import { verifyUserCertificate } from '../../../keys/verify-user-certificate.js';
import { fixtureBlob, fixtureText } from './fixtures.js';

/** An SSH signature blob made with node:crypto, as an OpenSSH client would send it. */
function sshSign(key: KeyObject, algorithm: string, data: Buffer): Buffer {
  let sig: Buffer;
  if (algorithm === 'ssh-ed25519') sig = sign(null, data, key);
  else if (algorithm === 'ecdsa-sha2-nistp256') {
    const rs = sign('sha256', data, { key, dsaEncoding: 'ieee-p1363' });
    sig = new SshWriter().writeMpintUnsigned(rs.subarray(0, 32)).writeMpintUnsigned(rs.subarray(32)).toBuffer();
  } else {
    const hash = { 'rsa-sha2-256': 'sha256', 'rsa-sha2-512': 'sha512', 'ssh-rsa': 'sha1' }[algorithm] ?? 'sha512';
    sig = sign(hash, data, key);
  }
  return new SshWriter().writeString(algorithm).writeString(sig).toBuffer();
}

/** PROTOCOL.sshsig: the armoured blob, and the data actually signed for `message`. */
function readSshsig(armoured: string, message: Buffer): { publicKey: Buffer; signature: Buffer; signed: Buffer } {
  const b64 = armoured.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
  const r = new SshReader(Buffer.from(b64, 'base64'));
  const magic = Buffer.from('SSHSIG');
  for (const byte of magic) assert.is(r.readByte(), byte);
  assert.is(r.readUint32(), 1);
  const publicKey = r.readString();
  const namespace = r.readString();
  const reserved = r.readString();
  const hashAlg = r.readUtf8();
  const signature = r.readString();
  r.end();
  const signed = Buffer.concat([
    magic,
    new SshWriter().writeString(namespace).writeString(reserved).writeString(hashAlg)
      .writeString(createHash(hashAlg).update(message).digest()).toBuffer(),
  ]);
  return { publicKey, signature, signed };
}

for (const k of ['user-ed25519', 'user-ecdsa', 'user-rsa']) {
  test(`verifySshSignature accepts ssh-keygen's own signature (${k})`, () => {
    const message = Buffer.from(fixtureText('message.txt'));
    const { publicKey, signature, signed } = readSshsig(fixtureText(`${k}.sig`), message);
    assert.ok(publicKey.equals(fixtureBlob(`${k}.pub`)));
    assert.ok(verifySshSignature(publicKey, signature, signed));
    const flipped = Buffer.from(signed);
    flipped.writeUInt8((flipped.at(-1) ?? 0) ^ 1, flipped.length - 1);
    assert.not.ok(verifySshSignature(publicKey, signature, flipped));
    const other = k === 'user-rsa' ? 'user-ed25519' : 'user-rsa';
    assert.not.ok(verifySshSignature(fixtureBlob(`${other}.pub`), signature, signed));
  });
}

test('verifySshSignature never throws on garbage', () => {
  const blob = fixtureBlob('user-ed25519.pub');
  assert.not.ok(verifySshSignature(blob, Buffer.from('nonsense'), Buffer.alloc(0)));
  assert.not.ok(verifySshSignature(Buffer.alloc(3), Buffer.alloc(3), Buffer.alloc(0)));
  assert.not.ok(verifySshSignature(blob, Buffer.alloc(0), Buffer.alloc(0)));
});

test('SHA-1 ssh-rsa signatures are refused even when mathematically valid', () => {
  const key = createPrivateKey(fixtureText('user-rsa'));
  const data = Buffer.from('session data');
  assert.ok(verifySshSignature(fixtureBlob('user-rsa.pub'), sshSign(key, 'rsa-sha2-256', data), data));
  assert.not.ok(verifySshSignature(fixtureBlob('user-rsa.pub'), sshSign(key, 'ssh-rsa', data), data));
});

const caPrivateKey = decodeOpenSshEd25519PrivateKey(fixtureText('ca')).privateKey;
const caBlob = fixtureBlob('ca.pub');
const now = new Date('2020-01-01T12:00:00Z');
const signedData = Buffer.from('session id || SSH_MSG_USERAUTH_REQUEST ... (what ssh2 passes as ctx.blob)');

/** `data` null: no signed data given (undefined means the default). */
function verifyWith(certBlob: Buffer, clientSignature?: Buffer, data: Buffer | null = signedData) {
  return verifyUserCertificate({
    certBlob, trustedCaKeys: [caBlob], login: 'alice', now, sourceAddress: '192.0.2.7',
    ...(clientSignature ? { clientSignature } : {}),
    ...(data !== null ? { signedData: data } : {}),
  });
}

const reasonOf = (v: ReturnType<typeof verifyWith>): string => (v.ok ? 'ok' : v.reason);

const generated: Array<[string, KeyObject, string[], string]> = [
  ['ed25519', generateKeyPairSync('ed25519').privateKey, ['ssh-ed25519'], 'ecdsa-sha2-nistp256'],
  ['ecdsa', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, ['ecdsa-sha2-nistp256'], 'ssh-ed25519'],
  ['rsa', generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey, ['rsa-sha2-256', 'rsa-sha2-512'], 'ssh-rsa'],
];

for (const [label, key, algorithms, wrongAlgorithm] of generated) {
  const certBlob = parseOpenSshPublicLine(
    signUserCertificate({
      caPrivateKey, userPublicKey: publicKeyBlobFromKeyObject(key), keyId: label, principals: ['alice'],
      serial: 7n, validAfter: new Date('2020-01-01T00:00:00Z'), validBefore: new Date('2020-01-02T00:00:00Z'),
    }),
  ).blob;

  test(`client signature (${label}, node:crypto): accepted with ${algorithms.join(', ')}`, () => {
    for (const alg of algorithms) assert.is(reasonOf(verifyWith(certBlob, sshSign(key, alg, signedData))), 'ok');
  });

  test(`client signature (${label}): tampered signature or data refused`, () => {
    const good = sshSign(key, algorithms[0] as string, signedData);
    const bad = Buffer.from(good);
    bad.writeUInt8((bad.at(-5) ?? 0) ^ 0x40, bad.length - 5);
    assert.is(reasonOf(verifyWith(certBlob, bad)), 'CERT_BAD_CLIENT_SIGNATURE');
    assert.is(reasonOf(verifyWith(certBlob, good, Buffer.from('other data'))), 'CERT_BAD_CLIENT_SIGNATURE');
    assert.is(reasonOf(verifyWith(certBlob, good.subarray(0, good.length - 1))), 'CERT_BAD_CLIENT_SIGNATURE');
  });

  test(`client signature (${label}): wrong algorithm ${wrongAlgorithm} refused`, () => {
    const r = new SshReader(sshSign(key, algorithms[0] as string, signedData));
    r.readString();
    const relabelled = new SshWriter().writeString(wrongAlgorithm).writeString(r.readString()).toBuffer();
    assert.is(reasonOf(verifyWith(certBlob, relabelled)), 'CERT_SIGNATURE_ALGORITHM');
    if (label === 'rsa') {
      // A genuine SHA-1 signature by the right key is still refused.
      assert.is(reasonOf(verifyWith(certBlob, sshSign(key, 'ssh-rsa', signedData))), 'CERT_SIGNATURE_ALGORITHM');
    }
  });

  test(`client signature (${label}): another key's signature refused`, () => {
    const other = generateKeyPairSync('ed25519').privateKey;
    const alg = algorithms[0] as string;
    const otherKey = alg === 'ssh-ed25519' ? other
      : alg === 'ecdsa-sha2-nistp256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey
        : generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    assert.is(reasonOf(verifyWith(certBlob, sshSign(otherKey, alg, signedData))), 'CERT_BAD_CLIENT_SIGNATURE');
  });
}

test('client signature over ssh-keygen-minted certificates, keys from the fixture files', () => {
  const keys: Array<[string, KeyObject, string]> = [
    ['ed25519-cert.pub', decodeOpenSshEd25519PrivateKey(fixtureText('user-ed25519')).privateKey, 'ssh-ed25519'],
    ['ecdsa-cert.pub', createPrivateKey(fixtureText('user-ecdsa')), 'ecdsa-sha2-nistp256'],
    ['rsa-cert.pub', createPrivateKey(fixtureText('user-rsa')), 'rsa-sha2-512'],
  ];
  for (const [cert, key, alg] of keys) {
    assert.is(reasonOf(verifyWith(fixtureBlob(cert), sshSign(key, alg, signedData))), 'ok', cert);
  }
});

test('signed data without a signature (or the reverse) is refused', () => {
  const cert = fixtureBlob('ed25519-cert.pub');
  assert.is(reasonOf(verifyWith(cert, undefined, signedData)), 'CERT_BAD_CLIENT_SIGNATURE');
  const key = decodeOpenSshEd25519PrivateKey(fixtureText('user-ed25519')).privateKey;
  assert.is(reasonOf(verifyWith(cert, sshSign(key, 'ssh-ed25519', signedData), null)), 'CERT_BAD_CLIENT_SIGNATURE');
  // Neither: the "is this key acceptable?" query, decided on the certificate alone.
  assert.is(reasonOf(verifyWith(cert, undefined, null)), 'ok');
});

test.run();
