import { randomBytes } from 'node:crypto';
import type { Ed25519KeyFile } from '../../keys/index.js';
import { signUserCertificate } from '../../keys/index.js';
import { MaiError, toMaiError } from '../errors.js';

/** Certificates start a minute in the past so a client with a slightly slow clock can use them at once. */
const BACKDATE_SECONDS = 60;

export interface IssuedCertificate {
  /** The OpenSSH certificate line (`ssh-ed25519-cert-v01@openssh.com AAAA... keyId`). */
  certificate: string;
  serial: bigint;
  keyId: string;
  validBefore: Date;
}

/**
 * The server's user CA: the one place certificates are minted, for `mai ca sign`
 * and for `/auth/ssh-cert` alike. Principal = the user name; TTL bounded.
 */
export class CertificateAuthority {
  constructor(
    private readonly caKey: Ed25519KeyFile,
    private readonly maxTtlSeconds: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  get publicKeyBlob(): Buffer {
    return this.caKey.publicKeyBlob;
  }

  get publicKeyLine(): string {
    return this.caKey.publicKeyLine;
  }

  issue(request: { user: string; publicKey: string; ttlSeconds: number }): IssuedCertificate {
    if (!Number.isInteger(request.ttlSeconds) || request.ttlSeconds <= 0) {
      throw new MaiError('INPUT_INVALID', 'certificate lifetime must be a positive number of seconds');
    }
    const ttl = Math.min(request.ttlSeconds, this.maxTtlSeconds);
    const now = this.now().getTime();
    // 63 random bits: unique in practice, and safe in every database's BIGINT.
    const serial = randomBytes(8).readBigUInt64BE() >> 1n;
    const keyId = `mai:${request.user}:${serial}`;
    const validBefore = new Date(now + ttl * 1000);
    let certificate: string;
    try {
      certificate = signUserCertificate({
        caPrivateKey: this.caKey.privateKey,
        userPublicKey: request.publicKey.trim(),
        keyId,
        principals: [request.user],
        serial,
        validAfter: new Date(now - BACKDATE_SECONDS * 1000),
        validBefore,
      });
    } catch (err) {
      // A public key that does not parse is the caller's bad input (keys/ says MALFORMED).
      throw toMaiError(err);
    }
    return { certificate, serial, keyId, validBefore };
  }
}
