/**
 * Plain (non-certificate) SSH public keys of the three types mai accepts, in wire
 * form (blobs), in OpenSSH's one-line text form, and as node:crypto KeyObjects.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { KeyError } from './key-error.js';
import { SshReader, SshWriter } from './ssh-wire.js';

export const KEY_ED25519 = 'ssh-ed25519';
export const KEY_ECDSA_P256 = 'ecdsa-sha2-nistp256';
export const KEY_RSA = 'ssh-rsa';

export type SshKeyType = typeof KEY_ED25519 | typeof KEY_ECDSA_P256 | typeof KEY_RSA;

/** RSA keys shorter than this are refused (OpenSSH's floor is 1024; we hold a safer line). */
export const RSA_MIN_BITS = 2048;

export interface SshPublicKey {
  readonly type: SshKeyType;
  /** The key's canonical wire blob. */
  readonly blob: Buffer;
  readonly keyObject: KeyObject;
}

const b64url = (b: Buffer): string => b.toString('base64url');

function keyError(message: string, cause?: unknown): KeyError {
  return new KeyError('MALFORMED', `ssh public key: ${message}`, { cause });
}

/** Strips leading zero octets of an unsigned big-endian integer. */
function stripZeros(b: Buffer): Buffer {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  return b.subarray(i);
}

/**
 * Reads the type-specific fields that follow the key type name, both in a plain key
 * blob and inside a certificate (where other fields sit in between), and builds the
 * KeyObject. Returns the fields re-encoded as a plain key blob.
 *
 *   ssh-ed25519          string pk (32 octets)                       RFC 8709 §4
 *   ecdsa-sha2-nistp256  string "nistp256", string Q (0x04||X||Y)    RFC 5656 §3.1
 *   ssh-rsa              mpint e, mpint n                            RFC 4253 §6.6
 */
export function readKeyFields(type: SshKeyType, r: SshReader): SshPublicKey {
  const w = new SshWriter().writeString(type);
  try {
    if (type === KEY_ED25519) {
      const pk = r.readString();
      if (pk.length !== 32) throw keyError(`ed25519 key is ${pk.length} bytes, expected 32`);
      w.writeString(pk);
      const keyObject = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64url(pk) }, format: 'jwk' });
      return { type, blob: w.toBuffer(), keyObject };
    }
    if (type === KEY_ECDSA_P256) {
      const curve = r.readUtf8();
      if (curve !== 'nistp256') throw keyError(`curve ${curve} does not match ${type}`);
      const q = r.readString();
      if (q.length !== 65 || q[0] !== 0x04) throw keyError('ecdsa point is not an uncompressed P-256 point');
      w.writeString(curve).writeString(q);
      const keyObject = createPublicKey({
        key: { kty: 'EC', crv: 'P-256', x: b64url(q.subarray(1, 33)), y: b64url(q.subarray(33)) },
        format: 'jwk',
      });
      return { type, blob: w.toBuffer(), keyObject };
    }
    const e = r.readMpintUnsigned();
    const n = r.readMpintUnsigned();
    if (e.length === 0 || n.length === 0) throw keyError('rsa key has a zero component');
    w.writeMpintUnsigned(e).writeMpintUnsigned(n);
    const keyObject = createPublicKey({ key: { kty: 'RSA', n: b64url(n), e: b64url(e) }, format: 'jwk' });
    const bits = keyObject.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < RSA_MIN_BITS) throw keyError(`rsa key has ${bits} bits, at least ${RSA_MIN_BITS} required`);
    return { type, blob: w.toBuffer(), keyObject };
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw keyError(`${type} key is not a valid public key`, err);
  }
}

export function isSshKeyType(name: string): name is SshKeyType {
  return name === KEY_ED25519 || name === KEY_ECDSA_P256 || name === KEY_RSA;
}

/** Parses a plain public key blob (`string type` + fields, nothing after). Throws on anything else. */
export function parsePublicKeyBlob(blob: Buffer): SshPublicKey {
  const r = new SshReader(blob);
  const type = r.readUtf8();
  if (!isSshKeyType(type)) throw keyError(`unsupported key type ${JSON.stringify(type)}`);
  const key = readKeyFields(type, r);
  r.end();
  if (!key.blob.equals(blob)) throw keyError('key blob is not in canonical form');
  return key;
}

/** Encodes a node:crypto public (or private) KeyObject of a supported type as an SSH public key blob. */
export function publicKeyBlobFromKeyObject(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const jwk = pub.export({ format: 'jwk' });
  const dec = (s: string | undefined): Buffer => Buffer.from(s ?? '', 'base64url');
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') {
    return new SshWriter().writeString(KEY_ED25519).writeString(dec(jwk.x)).toBuffer();
  }
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') {
    const q = Buffer.concat([Buffer.from([4]), dec(jwk.x), dec(jwk.y)]);
    return new SshWriter().writeString(KEY_ECDSA_P256).writeString('nistp256').writeString(q).toBuffer();
  }
  if (jwk.kty === 'RSA') {
    return new SshWriter()
      .writeString(KEY_RSA)
      .writeMpintUnsigned(stripZeros(dec(jwk.e)))
      .writeMpintUnsigned(stripZeros(dec(jwk.n)))
      .toBuffer();
  }
  throw keyError(`unsupported key object (${jwk.kty} ${jwk.crv ?? ''})`);
}

/**
 * Splits an OpenSSH public key line `TYPE BASE64 [COMMENT]` (authorized_keys form
 * without options) into its blob, checking the type in the text matches the blob's.
 */
export function parseOpenSshPublicLine(line: string): { type: string; blob: Buffer; comment: string } {
  const m = /^\s*(\S+)\s+([A-Za-z0-9+/]+={0,2})(?:\s+(.*?))?\s*$/.exec(line);
  if (!m) throw keyError('not an OpenSSH public key line');
  const type = m[1] as string;
  const blob = Buffer.from(m[2] as string, 'base64');
  const inner = new SshReader(blob).readUtf8();
  if (inner !== type) throw keyError(`line says ${type} but the key is ${inner}`);
  return { type, blob, comment: m[3] ?? '' };
}

/** `TYPE BASE64[ COMMENT]` for a key or certificate blob. */
export function formatOpenSshPublicLine(blob: Buffer, comment = ''): string {
  const type = new SshReader(blob).readUtf8();
  const safeComment = comment.replace(/[\r\n]+/g, ' ').trim();
  return `${type} ${blob.toString('base64')}${safeComment ? ` ${safeComment}` : ''}`;
}

/** OpenSSH's SHA256 fingerprint of a key blob: `SHA256:` + unpadded base64 of the digest. */
export function sshFingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}
