/**
 * OpenSSH's private key file format (PROTOCOL.key): the header of any key file, and
 * whole unencrypted ed25519 keys, what `ssh-keygen -t ed25519 -N ''` writes and
 * what ssh2's parseKey reads.
 */
import { createPrivateKey, createPublicKey, randomBytes, type KeyObject } from 'node:crypto';
import { KeyError } from './key-error.js';
import { KEY_ED25519, publicKeyBlobFromKeyObject } from './ssh-public-key.js';
import { SshReader, SshWriter } from './ssh-wire.js';

const MAGIC = Buffer.from('openssh-key-v1\0', 'latin1');
const PEM_BEGIN = '-----BEGIN OPENSSH PRIVATE KEY-----';
const PEM_END = '-----END OPENSSH PRIVATE KEY-----';
/** Cipher "none" pads the private section to 8 bytes. */
const BLOCK_SIZE = 8;

function keyFileError(message: string): KeyError {
  return new KeyError('MALFORMED', message);
}

/**
 * Encodes an ed25519 private key, PROTOCOL.key:
 *
 *   byte[]  "openssh-key-v1\0"
 *   string  ciphername  ("none")
 *   string  kdfname     ("none")
 *   string  kdfoptions  ("")
 *   uint32  number of keys (1)
 *   string  public key blob
 *   string  private section:
 *             uint32  checkint (random)
 *             uint32  checkint (same)
 *             string  "ssh-ed25519"
 *             string  pk (32)
 *             string  seed||pk (64)
 *             string  comment
 *             byte[]  padding 1, 2, 3, ... to a multiple of 8
 *
 * wrapped in PEM-style armour with 70-column base64, as ssh-keygen does.
 */
export function encodeOpenSshEd25519PrivateKey(privateKey: KeyObject, comment = ''): string {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw keyFileError('only ed25519 private keys can be written');
  }
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d ?? '', 'base64url');
  const pk = Buffer.from(jwk.x ?? '', 'base64url');
  const check = randomBytes(4).readUInt32BE(0);
  const priv = new SshWriter()
    .writeUint32(check)
    .writeUint32(check)
    .writeString(KEY_ED25519)
    .writeString(pk)
    .writeString(Buffer.concat([seed, pk]))
    .writeString(comment);
  const unpadded = priv.toBuffer();
  const padLength = (BLOCK_SIZE - (unpadded.length % BLOCK_SIZE)) % BLOCK_SIZE;
  for (let i = 1; i <= padLength; i++) priv.writeByte(i);
  const body = new SshWriter()
    .writeRaw(MAGIC)
    .writeString('none')
    .writeString('none')
    .writeString(Buffer.alloc(0))
    .writeUint32(1)
    .writeString(publicKeyBlobFromKeyObject(privateKey))
    .writeString(priv.toBuffer())
    .toBuffer();
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `${PEM_BEGIN}\n${lines.join('\n')}\n${PEM_END}\n`;
}

/** What the unencrypted header of any OpenSSH private key file tells, before any decryption. */
export interface OpenSshPrivateKeyHeader {
  /** A passphrase protects the private section (cipher or KDF other than "none"). */
  encrypted: boolean;
  /** The public key blob the file declares (of any key type). */
  publicKeyBlob: Buffer;
  /** The private section, still encrypted when `encrypted`. */
  privateSection: Buffer;
}

/**
 * Reads the armour and the header of an OpenSSH private key file in the layout above,
 * of any key type, encrypted or not. Throws KeyError('MALFORMED') with a reason
 * (never any key material).
 */
export function readOpenSshPrivateKeyHeader(text: string): OpenSshPrivateKeyHeader {
  const trimmed = text.trim();
  if (!trimmed.startsWith(PEM_BEGIN) || !trimmed.endsWith(PEM_END)) {
    throw keyFileError('not an OpenSSH private key (missing BEGIN/END OPENSSH PRIVATE KEY)');
  }
  const b64 = trimmed.slice(PEM_BEGIN.length, trimmed.length - PEM_END.length).replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) throw keyFileError('private key body is not base64');
  const body = Buffer.from(b64, 'base64');
  if (!body.subarray(0, MAGIC.length).equals(MAGIC)) throw keyFileError('bad private key magic');
  const r = new SshReader(body.subarray(MAGIC.length));
  const cipher = r.readUtf8();
  const kdf = r.readUtf8();
  r.readString(); // kdfoptions
  if (r.readUint32() !== 1) throw keyFileError('private key file must hold exactly one key');
  const publicKeyBlob = r.readString();
  const privateSection = r.readString();
  r.end();
  return { encrypted: cipher !== 'none' || kdf !== 'none', publicKeyBlob, privateSection };
}

/**
 * Decodes an unencrypted single-key ed25519 file in the layout above; checks the
 * check integers, the padding and that the public key matches the private one.
 * Throws KeyError('MALFORMED') with a reason (never any key material).
 */
export function decodeOpenSshEd25519PrivateKey(text: string): { privateKey: KeyObject; comment: string } {
  const { encrypted, publicKeyBlob: publicBlob, privateSection: privSection } = readOpenSshPrivateKeyHeader(text);
  if (encrypted) throw keyFileError('private key is encrypted (passphrase keys are not supported)');
  if (privSection.length % BLOCK_SIZE !== 0) throw keyFileError('private section is not padded');

  const p = new SshReader(privSection);
  if (p.readUint32() !== p.readUint32()) throw keyFileError('private key check integers differ');
  const type = p.readUtf8();
  if (type !== KEY_ED25519) throw keyFileError(`private key is ${type}, expected ${KEY_ED25519}`);
  const pk = p.readString();
  const sk = p.readString();
  const comment = p.readUtf8();
  for (let i = 1; p.remaining > 0; i++) {
    if (p.readByte() !== i) throw keyFileError('private key padding is wrong');
  }
  if (pk.length !== 32 || sk.length !== 64 || !sk.subarray(32).equals(pk)) {
    throw keyFileError('ed25519 private key has wrong lengths');
  }
  const privateKey = createPrivateKey({
    key: { kty: 'OKP', crv: 'Ed25519', d: sk.subarray(0, 32).toString('base64url'), x: pk.toString('base64url') },
    format: 'jwk',
  });
  // The stored public key must be the one the seed derives.
  const derived = publicKeyBlobFromKeyObject(createPublicKey(privateKey));
  if (!derived.equals(publicBlob)) throw keyFileError('public and private halves of the key do not match');
  return { privateKey, comment };
}
