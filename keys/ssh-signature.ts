/**
 * SSH signatures for the key types mai accepts: verify any of them, make ed25519 ones
 * (the CA's). SHA-1 `ssh-rsa` signatures are refused everywhere.
 */
import { sign as cryptoSign, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { KeyError } from './key-error.js';
import { KEY_ECDSA_P256, KEY_ED25519, KEY_RSA, parsePublicKeyBlob, type SshKeyType } from './ssh-public-key.js';
import { SshReader, SshWriter } from './ssh-wire.js';

export const SIG_ED25519 = 'ssh-ed25519';
export const SIG_ECDSA_P256 = 'ecdsa-sha2-nistp256';
export const SIG_RSA_SHA256 = 'rsa-sha2-256';
export const SIG_RSA_SHA512 = 'rsa-sha2-512';

export type SshSignatureAlgorithm =
  | typeof SIG_ED25519
  | typeof SIG_ECDSA_P256
  | typeof SIG_RSA_SHA256
  | typeof SIG_RSA_SHA512;

/** The only signature algorithms accepted for each key type (no `ssh-rsa`: SHA-1). */
export const ALLOWED_SIGNATURE_ALGORITHMS: Readonly<Record<SshKeyType, readonly SshSignatureAlgorithm[]>> = {
  [KEY_ED25519]: [SIG_ED25519],
  [KEY_ECDSA_P256]: [SIG_ECDSA_P256],
  [KEY_RSA]: [SIG_RSA_SHA256, SIG_RSA_SHA512],
};

export function isSignatureAlgorithmAllowed(keyType: SshKeyType, algorithm: string): boolean {
  return (ALLOWED_SIGNATURE_ALGORITHMS[keyType] as readonly string[]).includes(algorithm);
}

/**
 * Splits a signature blob, RFC 4253 §6.6:
 *
 *   string  signature format identifier (e.g. "rsa-sha2-512")
 *   string  signature octets, format specific
 *
 * Nothing may follow. Throws KeyError('MALFORMED') when malformed.
 */
export function parseSignatureBlob(signatureBlob: Buffer): { algorithm: string; signature: Buffer } {
  const r = new SshReader(signatureBlob);
  const algorithm = r.readUtf8();
  const signature = r.readString();
  r.end();
  return { algorithm, signature };
}

/**
 * ECDSA signature octets, RFC 5656 §3.1.2: `mpint r, mpint s`, converted to the
 * fixed-width r||s (IEEE P1363) that node:crypto verifies.
 */
function ecdsaToP1363(signature: Buffer): Buffer {
  const r = new SshReader(signature);
  const parts = [r.readMpintUnsigned(), r.readMpintUnsigned()];
  r.end();
  return Buffer.concat(
    parts.map((p) => {
      if (p.length === 0 || p.length > 32) throw new KeyError('MALFORMED', 'ecdsa signature component out of range');
      return Buffer.concat([Buffer.alloc(32 - p.length), p]);
    }),
  );
}

/** Like verifySshSignature, for a key already parsed; throws on malformed signature octets. */
export function verifyWithParsedKey(
  keyType: SshKeyType,
  key: KeyObject,
  algorithm: string,
  signature: Buffer,
  data: Buffer,
): boolean {
  if (!isSignatureAlgorithmAllowed(keyType, algorithm)) return false;
  switch (algorithm) {
    case SIG_ED25519:
      // RFC 8709 §6: exactly 64 octets.
      return signature.length === 64 && cryptoVerify(null, data, key, signature);
    case SIG_ECDSA_P256:
      return cryptoVerify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, ecdsaToP1363(signature));
    case SIG_RSA_SHA256:
    case SIG_RSA_SHA512: {
      // RFC 8332 §3: PKCS#1 v1.5. Like OpenSSH, accept a signature shorter than the
      // modulus by left-padding it (some signers strip leading zero octets).
      const modBytes = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
      if (signature.length === 0 || signature.length > modBytes) return false;
      const padded = Buffer.concat([Buffer.alloc(modBytes - signature.length), signature]);
      return cryptoVerify(algorithm === SIG_RSA_SHA256 ? 'sha256' : 'sha512', data, key, padded);
    }
    default:
      return false;
  }
}

/**
 * Verifies a full SSH signature blob (string algorithm, string signature) over `data`
 * with a plain public key blob. Returns false for a bad signature, a malformed blob,
 * an unsupported key or an algorithm not allowed for the key type; never throws.
 */
export function verifySshSignature(publicKeyBlob: Buffer, signatureBlob: Buffer, data: Buffer): boolean {
  try {
    const key = parsePublicKeyBlob(publicKeyBlob);
    const { algorithm, signature } = parseSignatureBlob(signatureBlob);
    return verifyWithParsedKey(key.type, key.keyObject, algorithm, signature, data);
  } catch {
    return false;
  }
}

/** Signs `data` with an ed25519 private KeyObject; returns the SSH signature blob (RFC 8709 §6). */
export function signSshEd25519(privateKey: KeyObject, data: Buffer): Buffer {
  if (privateKey.type !== 'private' || privateKey.asymmetricKeyType !== 'ed25519') {
    throw new KeyError('UNSUPPORTED', 'signing key must be an ed25519 private key');
  }
  const signature = cryptoSign(null, data, privateKey);
  return new SshWriter().writeString(SIG_ED25519).writeString(signature).toBuffer();
}
