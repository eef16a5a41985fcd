/**
 * Minting user certificates with the server's ed25519 CA, PROTOCOL.certkeys.
 */
import { randomBytes, type KeyObject } from 'node:crypto';
import { KeyError } from './key-error.js';
import {
  encodeCertificateBody,
  EXT_AGENT_FORWARDING,
  EXT_PORT_FORWARDING,
  EXT_PTY,
  EXT_USER_RC,
  EXT_X11_FORWARDING,
  sortOptions,
} from './openssh-cert.js';
import {
  formatOpenSshPublicLine,
  parseOpenSshPublicLine,
  parsePublicKeyBlob,
  publicKeyBlobFromKeyObject,
} from './ssh-public-key.js';
import { signSshEd25519 } from './ssh-signature.js';
import { SshWriter } from './ssh-wire.js';

/** What `ssh-keygen -s` grants by default; ours too. */
export const DEFAULT_USER_EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  [EXT_X11_FORWARDING]: '',
  [EXT_AGENT_FORWARDING]: '',
  [EXT_PORT_FORWARDING]: '',
  [EXT_PTY]: '',
  [EXT_USER_RC]: '',
});

export interface SignUserCertificateInput {
  /** The CA's ed25519 private key. */
  readonly caPrivateKey: KeyObject;
  /** The user's public key: an OpenSSH line (`ssh-ed25519 AAAA... comment`) or its blob. */
  readonly userPublicKey: string | Buffer;
  readonly keyId: string;
  /** Login names the certificate is valid for; at least one (we refuse certs without). */
  readonly principals: readonly string[];
  /** 0 .. 2^64-1. */
  readonly serial: bigint;
  readonly validAfter: Date;
  readonly validBefore: Date;
  /** name -> value; '' for a flag. E.g. `{ 'force-command': 'ls' }`. */
  readonly criticalOptions?: Readonly<Record<string, string>>;
  /** name -> value; '' for a flag. Defaults to DEFAULT_USER_EXTENSIONS. */
  readonly extensions?: Readonly<Record<string, string>>;
}

function inputError(message: string): KeyError {
  return new KeyError('MALFORMED', `certificate request: ${message}`);
}

function toSeconds(d: Date, what: string): bigint {
  const ms = d.getTime();
  if (!Number.isFinite(ms) || ms < 0) throw inputError(`${what} is not a valid date`);
  return BigInt(Math.floor(ms / 1000));
}

/** Mints the certificate; returns its blob. signUserCertificate is the line-returning wrapper. */
export function signUserCertificateBlob(input: SignUserCertificateInput): Buffer {
  const userBlob =
    typeof input.userPublicKey === 'string' ? parseOpenSshPublicLine(input.userPublicKey).blob : input.userPublicKey;
  parsePublicKeyBlob(userBlob); // refuses certificates, unsupported types and weak RSA keys
  if (input.principals.length === 0) throw inputError('at least one principal is required');
  for (const p of input.principals) {
    if (p === '' || /[,\s]/.test(p)) throw inputError(`invalid principal ${JSON.stringify(p)}`);
  }
  if (new Set(input.principals).size !== input.principals.length) throw inputError('duplicate principals');
  if (input.serial < 0n || input.serial >= 1n << 64n) throw inputError('serial out of range');
  const validAfter = toSeconds(input.validAfter, 'validAfter');
  const validBefore = toSeconds(input.validBefore, 'validBefore');
  if (validBefore <= validAfter) throw inputError('validBefore must be after validAfter');

  const signatureKey = publicKeyBlobFromKeyObject(input.caPrivateKey);
  const body = encodeCertificateBody({
    nonce: randomBytes(32),
    publicKeyBlob: userBlob,
    serial: input.serial,
    certType: 'user',
    keyId: input.keyId,
    principals: input.principals,
    validAfter,
    validBefore,
    criticalOptions: sortOptions(input.criticalOptions ?? {}),
    extensions: sortOptions(input.extensions ?? DEFAULT_USER_EXTENSIONS),
    signatureKey,
  });
  const signature = signSshEd25519(input.caPrivateKey, body);
  return Buffer.concat([body, new SshWriter().writeString(signature).toBuffer()]);
}

/**
 * Mints a user certificate signed by the ed25519 CA and returns it as an OpenSSH
 * public key line: `ssh-ed25519-cert-v01@openssh.com AAAA... KEYID`.
 */
export function signUserCertificate(input: SignUserCertificateInput): string {
  return formatOpenSshPublicLine(signUserCertificateBlob(input), input.keyId);
}
