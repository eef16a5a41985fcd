/**
 * The one check a user certificate must pass before the gateway lets anyone in
 * (PROTOCOL.certkeys; OpenSSH's sshkey_cert_check_authority + auth_cert_options).
 * Pure: the clock, the trusted CAs, the revocation list and the client address are
 * all inputs. Every refusal has a stable code and an operator-facing detail.
 */
import {
  EXT_AGENT_FORWARDING,
  EXT_PORT_FORWARDING,
  EXT_PTY,
  EXT_USER_RC,
  EXT_X11_FORWARDING,
  OPT_FORCE_COMMAND,
  OPT_SOURCE_ADDRESS,
  OPT_VERIFY_REQUIRED,
  parseCertificate,
  type CertKeyTypeName,
  type OpenSshCertificate,
} from './openssh-cert.js';
import { parsePublicKeyBlob, sshFingerprint, type SshPublicKey } from './ssh-public-key.js';
import { isSignatureAlgorithmAllowed, parseSignatureBlob, verifyWithParsedKey } from './ssh-signature.js';
import { matchSourceAddress } from './source-address.js';

/** Every refusal this check can give; the server's error catalog has each of them. */
export const CERT_REFUSALS = [
  'CERT_MALFORMED',
  'CERT_NOT_USER',
  'CERT_UNKNOWN_CA',
  'CERT_BAD_CA_SIGNATURE',
  'CERT_NOT_YET_VALID',
  'CERT_EXPIRED',
  'CERT_PRINCIPAL',
  'CERT_NO_PRINCIPALS',
  'CERT_UNKNOWN_CRITICAL_OPTION',
  'CERT_SOURCE_ADDRESS',
  'CERT_REVOKED',
  'CERT_BAD_CLIENT_SIGNATURE',
  'CERT_SIGNATURE_ALGORITHM',
] as const;

export type CertRefusal = (typeof CERT_REFUSALS)[number];

export interface CertPermissions {
  readonly pty: boolean;
  readonly portForwarding: boolean;
  readonly agentForwarding: boolean;
  readonly x11Forwarding: boolean;
  readonly userRc: boolean;
}

export type CertVerdict =
  | {
      readonly ok: true;
      readonly keyId: string;
      readonly serial: bigint;
      /** The principal that matched: the login. */
      readonly principal: string;
      readonly forceCommand?: string;
      readonly permissions: CertPermissions;
    }
  | { readonly ok: false; readonly reason: CertRefusal; readonly detail: string };

export interface VerifyUserCertificateInput {
  /** The certificate blob (ssh2: `ctx.key.data`). */
  readonly certBlob: Buffer;
  /** Public key blobs of the CAs whose certificates are accepted. */
  readonly trustedCaKeys: readonly Buffer[];
  /** The user name the client asked to log in as. */
  readonly login: string;
  readonly now: Date;
  /** The client's IP address, v4 or v6 (IPv4-mapped v6 allowed). */
  readonly sourceAddress: string;
  readonly revokedSerials?: ReadonlySet<bigint> | ((serial: bigint) => boolean);
  /**
   * The data the client signed (ssh2: `ctx.blob`) and its full SSH signature blob
   * (ssh2: `ctx.signature`). Give both, or neither for the "would this key be
   * accepted?" query that precedes the signed attempt.
   */
  readonly signedData?: Buffer;
  readonly clientSignature?: Buffer;
  /**
   * The public key algorithm the client named the certificate with (ssh2: `ctx.key.algo`).
   * When given, it must be one of the certificate's own names (CERT_ALGORITHM_NAMES).
   */
  readonly algorithm?: string;
}

/**
 * The names a client may present each certificate type under: its own, and for RSA the
 * SHA-2 names of RFC 8332 §3.3 (`ssh-rsa-cert` signs with SHA-1, which the signature
 * check refuses). A blob named as anything else is refused, as OpenSSH does ("type
 * mismatch for decoded key"): what the client signed names the algorithm it claimed.
 */
const CERT_ALGORITHM_NAMES: Readonly<Record<CertKeyTypeName, readonly string[]>> = {
  'ssh-ed25519-cert-v01@openssh.com': ['ssh-ed25519-cert-v01@openssh.com'],
  'ecdsa-sha2-nistp256-cert-v01@openssh.com': ['ecdsa-sha2-nistp256-cert-v01@openssh.com'],
  'ssh-rsa-cert-v01@openssh.com': ['ssh-rsa-cert-v01@openssh.com', 'rsa-sha2-256-cert-v01@openssh.com', 'rsa-sha2-512-cert-v01@openssh.com'],
};

/** Critical options we understand and honour; anything else is refused (PROTOCOL.certkeys). */
const HONOURED_CRITICAL_OPTIONS = new Set([OPT_FORCE_COMMAND, OPT_SOURCE_ADDRESS]);

function refuse(reason: CertRefusal, detail: string): CertVerdict {
  return { ok: false, reason, detail };
}

function isRevoked(revoked: VerifyUserCertificateInput['revokedSerials'], serial: bigint): boolean {
  if (!revoked) return false;
  return typeof revoked === 'function' ? revoked(serial) : revoked.has(serial);
}

function checkSignedBy(key: SshPublicKey, signatureBlob: Buffer, data: Buffer, whose: 'CA' | 'client'): CertVerdict | undefined {
  let algorithm: string;
  let signature: Buffer;
  try {
    ({ algorithm, signature } = parseSignatureBlob(signatureBlob));
  } catch {
    return refuse(whose === 'CA' ? 'CERT_MALFORMED' : 'CERT_BAD_CLIENT_SIGNATURE', `${whose} signature blob is malformed`);
  }
  if (!isSignatureAlgorithmAllowed(key.type, algorithm)) {
    return refuse('CERT_SIGNATURE_ALGORITHM', `${whose} signature algorithm ${algorithm} not allowed for a ${key.type} key`);
  }
  let good = false;
  try {
    good = verifyWithParsedKey(key.type, key.keyObject, algorithm, signature, data);
  } catch {
    good = false;
  }
  if (!good) {
    return refuse(whose === 'CA' ? 'CERT_BAD_CA_SIGNATURE' : 'CERT_BAD_CLIENT_SIGNATURE', `${whose} signature does not verify`);
  }
  return undefined;
}

function permissionsOf(cert: OpenSshCertificate): CertPermissions {
  return {
    pty: cert.extensions.has(EXT_PTY),
    portForwarding: cert.extensions.has(EXT_PORT_FORWARDING),
    agentForwarding: cert.extensions.has(EXT_AGENT_FORWARDING),
    x11Forwarding: cert.extensions.has(EXT_X11_FORWARDING),
    userRc: cert.extensions.has(EXT_USER_RC),
  };
}

/**
 * Checks a user certificate completely, in this order (the first failure wins):
 * well-formed (and presented under one of its own names, when the client's name is
 * given), signed by a trusted CA (key, algorithm, signature), a user certificate,
 * not revoked, inside its validity window, principals (non-empty, the login among
 * them), critical options (force-command returned, source-address enforced, anything
 * else refused), and finally the client's signature when given.
 * Unknown extensions are ignored. Never throws for bad input.
 */
export function verifyUserCertificate(input: VerifyUserCertificateInput): CertVerdict {
  let cert: OpenSshCertificate;
  try {
    cert = parseCertificate(input.certBlob);
  } catch (err) {
    return refuse('CERT_MALFORMED', err instanceof Error ? err.message : 'malformed certificate');
  }
  if (input.algorithm !== undefined && !CERT_ALGORITHM_NAMES[cert.type].includes(input.algorithm)) {
    return refuse('CERT_MALFORMED', `a ${cert.type} presented as ${JSON.stringify(input.algorithm)}`);
  }
  const ca = `CA ${sshFingerprint(cert.signatureKey)}`;

  if (!input.trustedCaKeys.some((k) => k.equals(cert.signatureKey))) {
    return refuse('CERT_UNKNOWN_CA', `signed by untrusted ${ca}`);
  }
  let caKey: SshPublicKey;
  try {
    caKey = parsePublicKeyBlob(cert.signatureKey);
  } catch (err) {
    return refuse('CERT_MALFORMED', `${ca}: ${err instanceof Error ? err.message : 'unusable key'}`);
  }
  const caRefusal = checkSignedBy(caKey, cert.signature, cert.signedPortion, 'CA');
  if (caRefusal) return caRefusal;

  const subject = `key id ${JSON.stringify(cert.keyId)} serial ${cert.serial}`;
  if (cert.certType !== 'user') return refuse('CERT_NOT_USER', `${subject} is a ${cert.certType} certificate`);
  if (isRevoked(input.revokedSerials, cert.serial)) return refuse('CERT_REVOKED', `${subject} is revoked`);

  const now = BigInt(Math.floor(input.now.getTime() / 1000));
  if (now < cert.validAfter) {
    return refuse('CERT_NOT_YET_VALID', `${subject} valid only from ${cert.validAfter} (now ${now})`);
  }
  if (now >= cert.validBefore) return refuse('CERT_EXPIRED', `${subject} expired at ${cert.validBefore} (now ${now})`);

  if (cert.principals.length === 0) return refuse('CERT_NO_PRINCIPALS', `${subject} names no principals`);
  if (!cert.principals.includes(input.login)) {
    return refuse('CERT_PRINCIPAL', `${subject} not valid for login ${JSON.stringify(input.login)}`);
  }

  for (const name of cert.criticalOptions.keys()) {
    if (!HONOURED_CRITICAL_OPTIONS.has(name)) {
      const why = name === OPT_VERIFY_REQUIRED ? 'FIDO user verification is not supported' : 'unknown';
      return refuse('CERT_UNKNOWN_CRITICAL_OPTION', `${subject} critical option ${JSON.stringify(name)}: ${why}`);
    }
  }
  const sourceList = cert.criticalOptions.get(OPT_SOURCE_ADDRESS);
  if (sourceList !== undefined) {
    const match = matchSourceAddress(sourceList, input.sourceAddress);
    if (match === 'malformed') {
      return refuse('CERT_SOURCE_ADDRESS', `${subject} source-address ${JSON.stringify(sourceList)} or client address ${JSON.stringify(input.sourceAddress)} unparsable`);
    }
    if (!match) {
      return refuse('CERT_SOURCE_ADDRESS', `${subject} not valid from ${input.sourceAddress} (allowed: ${sourceList})`);
    }
  }

  if (input.signedData !== undefined || input.clientSignature !== undefined) {
    if (input.signedData === undefined || input.clientSignature === undefined) {
      return refuse('CERT_BAD_CLIENT_SIGNATURE', 'signed data and client signature must be given together');
    }
    const clientRefusal = checkSignedBy(cert.publicKey, input.clientSignature, input.signedData, 'client');
    if (clientRefusal) return clientRefusal;
  }

  const forceCommand = cert.criticalOptions.get(OPT_FORCE_COMMAND);
  return {
    ok: true,
    keyId: cert.keyId,
    serial: cert.serial,
    principal: input.login,
    ...(forceCommand !== undefined ? { forceCommand } : {}),
    permissions: permissionsOf(cert),
  };
}
