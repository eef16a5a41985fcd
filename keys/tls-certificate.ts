/**
 * TLS material for the REST API: a self-signed server certificate for a server
 * that has none configured, and the SHA-256 fingerprint clients pin it by.
 * Pure: the caller decides where the PEM text is kept.
 */
import { createPrivateKey, generateKeyPairSync, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { KeyError } from './key-error.js';

export interface SelfSignedCertificateInput {
  /** Subject common name (shown by browsers and `openssl x509`). */
  commonName: string;
  /** DNS names and IP addresses for subjectAltName; clients that pin the fingerprint do not need them. */
  altNames: string[];
  /** Validity in days from `now`. */
  days: number;
  now?: Date;
}

export interface TlsMaterial {
  /** PEM certificate (a chain may follow the leaf). */
  certPem: string;
  /** PEM private key. */
  keyPem: string;
}

/**
 * A fresh RSA-2048 key and a self-signed certificate for it (serverAuth, the given
 * names). The key comes from node:crypto (OpenSSL, fast); node-forge, loaded only
 * here, writes and signs the certificate, which node:crypto cannot.
 */
export async function generateSelfSignedCertificate(input: SelfSignedCertificateInput): Promise<TlsMaterial> {
  const { default: forge } = await import('node-forge');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const now = input.now ?? new Date();

  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.publicKeyFromPem(publicKey.export({ type: 'spki', format: 'pem' }).toString());
  // RFC 5280 §4.1.2.2: a positive integer of at most 20 octets; the top bit cleared keeps it positive.
  const serial = randomBytes(16);
  serial[0] = serial[0]! & 0x7f;
  cert.serialNumber = serial.toString('hex');
  cert.validity.notBefore = new Date(now.getTime() - 60_000);
  cert.validity.notAfter = new Date(now.getTime() + input.days * 86_400_000);
  const subject = [{ name: 'commonName', value: input.commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectAltName', altNames: input.altNames.map((name) => (isIP(name) ? { type: 7, ip: name } : { type: 2, value: name })) },
  ]);
  cert.sign(forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()), forge.md.sha256.create());
  return { certPem: forge.pki.certificateToPem(cert), keyPem };
}

/**
 * `SHA256:AB:CD:...`: the SHA-256 of the leaf certificate's DER, in the hex form
 * `openssl x509 -noout -fingerprint -sha256` prints, so an operator can compare the two.
 */
export function tlsFingerprint(certPem: string): string {
  return `SHA256:${parseCertificate(certPem).fingerprint256}`;
}

/**
 * A fingerprint as a user may type it (with or without `SHA256:`, colons, any case)
 * in the form `tlsFingerprint` gives; null when it is not 32 bytes of hex.
 */
export function normalizeTlsFingerprint(text: string): string | null {
  const hex = text.trim().replace(/^sha256:/i, '').replace(/:/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) return null;
  return `SHA256:${hex.match(/../g)!.join(':')}`;
}

/** Checks that the key belongs to the certificate, so a mismatched pair fails at start, not at the first client. */
export function checkTlsPair(material: TlsMaterial): void {
  const cert = parseCertificate(material.certPem);
  let key;
  try {
    key = createPrivateKey(material.keyPem);
  } catch (err) {
    throw new KeyError('MALFORMED', 'not a PEM private key', { cause: err });
  }
  if (!cert.checkPrivateKey(key)) throw new KeyError('MALFORMED', 'the private key does not belong to the certificate');
}

function parseCertificate(pem: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new KeyError('MALFORMED', 'not a PEM certificate', { cause: err });
  }
}
