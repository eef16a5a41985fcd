/**
 * OpenSSH certificates (PROTOCOL.certkeys): the typed structure, its strict parser
 * and its encoder. No policy here: signing is in sign-user-certificate.ts, checking
 * in verify-user-certificate.ts.
 */
import { KeyError } from './key-error.js';
import {
  KEY_ECDSA_P256,
  KEY_ED25519,
  KEY_RSA,
  readKeyFields,
  type SshKeyType,
  type SshPublicKey,
} from './ssh-public-key.js';
import { SshReader, SshWriter } from './ssh-wire.js';

/** Certificate key type names, PROTOCOL.certkeys, mapped to the certified key type. */
export const CERT_KEY_TYPES = {
  'ssh-ed25519-cert-v01@openssh.com': KEY_ED25519,
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': KEY_ECDSA_P256,
  'ssh-rsa-cert-v01@openssh.com': KEY_RSA,
} as const satisfies Record<string, SshKeyType>;

export type CertKeyTypeName = keyof typeof CERT_KEY_TYPES;

/** The uint32 `type` field: SSH_CERT_TYPE_USER / SSH_CERT_TYPE_HOST. */
export const SSH_CERT_TYPE_USER = 1;
export const SSH_CERT_TYPE_HOST = 2;

/** `valid before` of a certificate that never expires. */
export const VALID_FOREVER = (1n << 64n) - 1n;

/** Well-known option and extension names, PROTOCOL.certkeys "Critical options" / "Extensions". */
export const OPT_FORCE_COMMAND = 'force-command';
export const OPT_SOURCE_ADDRESS = 'source-address';
export const OPT_VERIFY_REQUIRED = 'verify-required';
export const EXT_X11_FORWARDING = 'permit-X11-forwarding';
export const EXT_AGENT_FORWARDING = 'permit-agent-forwarding';
export const EXT_PORT_FORWARDING = 'permit-port-forwarding';
export const EXT_PTY = 'permit-pty';
export const EXT_USER_RC = 'permit-user-rc';
export const EXT_NO_TOUCH_REQUIRED = 'no-touch-required';

/** Options whose data must be a single string, and flags whose data must be empty. */
const VALUED_OPTIONS = new Set([OPT_FORCE_COMMAND, OPT_SOURCE_ADDRESS]);
const FLAG_OPTIONS = new Set([
  OPT_VERIFY_REQUIRED,
  EXT_X11_FORWARDING,
  EXT_AGENT_FORWARDING,
  EXT_PORT_FORWARDING,
  EXT_PTY,
  EXT_USER_RC,
  EXT_NO_TOUCH_REQUIRED,
]);

/**
 * Critical options or extensions, name -> value. A flag (empty data on the wire) has
 * the value ''; an option with data has the string its data holds.
 */
export type CertOptions = ReadonlyMap<string, string>;

export interface OpenSshCertificate {
  readonly type: CertKeyTypeName;
  readonly nonce: Buffer;
  /** The certified key (type, plain blob, KeyObject). */
  readonly publicKey: SshPublicKey;
  readonly serial: bigint;
  readonly certType: 'user' | 'host';
  readonly keyId: string;
  readonly principals: readonly string[];
  /** Seconds since the epoch; `validBefore` is VALID_FOREVER for "forever". */
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: CertOptions;
  readonly extensions: CertOptions;
  /** The CA's public key blob. */
  readonly signatureKey: Buffer;
  /** The CA's SSH signature blob (string algorithm, string signature). */
  readonly signature: Buffer;
  /** Everything from the start up to and including `signature key`: what the CA signed. */
  readonly signedPortion: Buffer;
  /** The whole certificate blob. */
  readonly blob: Buffer;
}

function certError(message: string, cause?: unknown): KeyError {
  return new KeyError('CERT_MALFORMED', `certificate: ${message}`, { cause });
}

/** Byte-wise comparison, the "lexical order" PROTOCOL.certkeys means (OpenSSH uses strcmp). */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Critical options / extensions, PROTOCOL.certkeys: the field is a string holding
 * zero or more of
 *
 *   string  name
 *   string  data   (empty for flags; otherwise itself a string, e.g. the command)
 *
 * Names appear at most once and in lexical order. Anything else throws.
 */
function parseOptions(packed: Buffer, what: string): Map<string, string> {
  const r = new SshReader(packed);
  const out = new Map<string, string>();
  let last: string | undefined;
  while (r.remaining > 0) {
    const name = r.readUtf8();
    const data = r.readString();
    if (name === '') throw certError(`${what} has an empty name`);
    if (last !== undefined && compareNames(last, name) >= 0) {
      throw certError(`${what} not in lexical order or duplicated at ${JSON.stringify(name)}`);
    }
    last = name;
    if (data.length === 0) {
      if (VALUED_OPTIONS.has(name)) throw certError(`${what} ${name} has no value`);
      out.set(name, '');
      continue;
    }
    if (FLAG_OPTIONS.has(name)) throw certError(`${what} ${name} is a flag but carries data`);
    const inner = new SshReader(data);
    const value = inner.readUtf8();
    inner.end();
    out.set(name, value);
  }
  return out;
}

/** `valid principals`: a string holding zero or more `string principal`. */
function parsePrincipals(packed: Buffer): string[] {
  const r = new SshReader(packed);
  const out: string[] = [];
  while (r.remaining > 0) {
    const p = r.readUtf8();
    if (p === '') throw certError('empty principal name');
    out.push(p);
  }
  return out;
}

/**
 * Parses a certificate blob, PROTOCOL.certkeys:
 *
 *   string    "ssh-ed25519-cert-v01@openssh.com" | "ecdsa-sha2-nistp256-cert-v01@openssh.com"
 *             | "ssh-rsa-cert-v01@openssh.com"
 *   string    nonce
 *   ...       key fields: string pk | string curve, string Q | mpint e, mpint n
 *   uint64    serial
 *   uint32    type (1 user, 2 host)
 *   string    key id
 *   string    valid principals
 *   uint64    valid after
 *   uint64    valid before
 *   string    critical options
 *   string    extensions
 *   string    reserved
 *   string    signature key
 *   string    signature
 *
 * Strict: an unknown certificate or cert type, a malformed field or option list, or
 * trailing data throws KeyError('CERT_MALFORMED'). Does not check the signature.
 */
export function parseCertificate(blob: Buffer): OpenSshCertificate {
  try {
    const r = new SshReader(blob);
    const type = r.readUtf8();
    if (!Object.hasOwn(CERT_KEY_TYPES, type)) throw certError(`unsupported certificate type ${JSON.stringify(type)}`);
    const certKeyType = type as CertKeyTypeName;
    const nonce = r.readString();
    const publicKey = readKeyFields(CERT_KEY_TYPES[certKeyType], r);
    const serial = r.readUint64();
    const typeCode = r.readUint32();
    if (typeCode !== SSH_CERT_TYPE_USER && typeCode !== SSH_CERT_TYPE_HOST) {
      throw certError(`unknown certificate role ${typeCode}`);
    }
    const keyId = r.readUtf8();
    const principals = parsePrincipals(r.readString());
    const validAfter = r.readUint64();
    const validBefore = r.readUint64();
    const criticalOptions = parseOptions(r.readString(), 'critical options');
    const extensions = parseOptions(r.readString(), 'extensions');
    r.readString(); // reserved: "currently unused and is ignored in this version of the protocol"
    const signatureKey = r.readString();
    const signedPortion = blob.subarray(0, r.position);
    const signature = r.readString();
    r.end();
    return {
      type: certKeyType,
      nonce,
      publicKey,
      serial,
      certType: typeCode === SSH_CERT_TYPE_USER ? 'user' : 'host',
      keyId,
      principals,
      validAfter,
      validBefore,
      criticalOptions,
      extensions,
      signatureKey,
      signature,
      signedPortion,
      blob,
    };
  } catch (err) {
    if (err instanceof KeyError && err.kind === 'CERT_MALFORMED') throw err;
    throw certError(err instanceof Error ? err.message : 'malformed', err);
  }
}

/** Raw fields for encodeCertificateBody. Option lists are written in the order given. */
export interface CertificateFields {
  readonly nonce: Buffer;
  /** The plain public key blob being certified. */
  readonly publicKeyBlob: Buffer;
  readonly serial: bigint;
  readonly certType: 'user' | 'host';
  readonly keyId: string;
  readonly principals: readonly string[];
  readonly validAfter: bigint;
  readonly validBefore: bigint;
  readonly criticalOptions: ReadonlyArray<readonly [string, string]>;
  readonly extensions: ReadonlyArray<readonly [string, string]>;
  readonly signatureKey: Buffer;
}

function encodeOptions(options: ReadonlyArray<readonly [string, string]>): Buffer {
  const w = new SshWriter();
  for (const [name, value] of options) {
    w.writeString(name);
    w.writeString(value === '' ? Buffer.alloc(0) : new SshWriter().writeString(value).toBuffer());
  }
  return w.toBuffer();
}

/**
 * Encodes everything up to and including `signature key` (the portion the CA signs).
 * Low level: no sorting, no validation beyond the key blob. Append
 * `string signature` to obtain the certificate.
 */
export function encodeCertificateBody(f: CertificateFields): Buffer {
  const key = new SshReader(f.publicKeyBlob);
  const keyType = key.readUtf8();
  const certName = (Object.keys(CERT_KEY_TYPES) as CertKeyTypeName[]).find((n) => CERT_KEY_TYPES[n] === keyType);
  if (!certName) throw new KeyError('UNSUPPORTED', `cannot certify a ${keyType} key`);
  const principals = new SshWriter();
  for (const p of f.principals) principals.writeString(p);
  return new SshWriter()
    .writeString(certName)
    .writeString(f.nonce)
    .writeRaw(f.publicKeyBlob.subarray(key.position))
    .writeUint64(f.serial)
    .writeUint32(f.certType === 'user' ? SSH_CERT_TYPE_USER : SSH_CERT_TYPE_HOST)
    .writeString(f.keyId)
    .writeString(principals.toBuffer())
    .writeUint64(f.validAfter)
    .writeUint64(f.validBefore)
    .writeString(encodeOptions(f.criticalOptions))
    .writeString(encodeOptions(f.extensions))
    .writeString(Buffer.alloc(0))
    .writeString(f.signatureKey)
    .toBuffer();
}

/** Sorts option entries into the lexical order PROTOCOL.certkeys requires; throws on duplicates. */
export function sortOptions(options: Readonly<Record<string, string>>): Array<[string, string]> {
  const entries = Object.entries(options).sort(([a], [b]) => compareNames(a, b));
  for (const [name, value] of entries) {
    if (name === '') throw new KeyError('UNSUPPORTED', 'certificate option with an empty name');
    if (VALUED_OPTIONS.has(name) && value === '') throw new KeyError('UNSUPPORTED', `option ${name} needs a value`);
    if (FLAG_OPTIONS.has(name) && value !== '') throw new KeyError('UNSUPPORTED', `option ${name} is a flag`);
  }
  return entries;
}
