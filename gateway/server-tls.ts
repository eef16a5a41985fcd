import { promises as fs } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { checkTlsPair, generateSelfSignedCertificate, tlsFingerprint, type TlsMaterial } from '../keys/index.js';
import type { ServiceConfig } from './config/service-config.js';
import { isLoopbackHost } from './config/loopback.js';
import { MaiError, toMaiError } from './errors.js';

export const TLS_CERT_FILE = 'tls_cert.pem';
export const TLS_KEY_FILE = 'tls_key.pem';
/** Long: clients pin this certificate, and a new one means every client pins again. */
const SELF_SIGNED_DAYS = 10 * 365;

/** What the REST API serves, and what `mai serve` tells the operator about it. */
export interface ServerTls extends TlsMaterial {
  /** `SHA256:AB:CD:...`, what `mai remote add --fingerprint` takes. */
  fingerprint: string;
  /** Made by the server (clients must pin it), rather than configured. */
  selfSigned: boolean;
  certFile: string;
}

/**
 * The REST API's certificate (`server.tls`): the configured PEM files; none for
 * `tls: false` or a loopback listen address without them; otherwise a self-signed
 * certificate, created in the data dir on the first start and kept (so the
 * fingerprint clients pinned stays valid across restarts and upgrades).
 */
export async function loadServerTls(config: ServiceConfig, dataDir: string, onCreated: (tls: ServerTls) => void): Promise<ServerTls | null> {
  const { tls, host } = config.server;
  if (tls === false) return null;
  if (tls) return readPair(tls.cert, tls.key, false);
  if (isLoopbackHost(host)) return null;

  const certFile = join(dataDir, TLS_CERT_FILE);
  const keyFile = join(dataDir, TLS_KEY_FILE);
  if (await exists(certFile)) return readPair(certFile, keyFile, true);
  const names = ['localhost', '127.0.0.1', '::1', hostname(), ...(config.ssh.publicHost ? [config.ssh.publicHost] : [])];
  const material = await generateSelfSignedCertificate({ commonName: config.ssh.publicHost ?? hostname(), altNames: [...new Set(names)], days: SELF_SIGNED_DAYS });
  // Exclusively, the key first: two servers starting on one data dir never mix their pairs.
  try {
    await fs.writeFile(keyFile, material.keyPem, { mode: 0o600, flag: 'wx' });
    await fs.writeFile(certFile, material.certPem, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    throw new MaiError('CONFIG_INVALID', `cannot create ${certFile} and ${keyFile} (a half-made pair? remove both to make a new one)`, { cause: err });
  }
  const created: ServerTls = { ...material, fingerprint: tlsFingerprint(material.certPem), selfSigned: true, certFile };
  onCreated(created);
  return created;
}

async function readPair(certFile: string, keyFile: string, selfSigned: boolean): Promise<ServerTls> {
  let material: TlsMaterial;
  try {
    material = { certPem: await fs.readFile(certFile, 'utf8'), keyPem: await fs.readFile(keyFile, 'utf8') };
  } catch (err) {
    throw new MaiError('CONFIG_INVALID', `server.tls: cannot read ${(err as NodeJS.ErrnoException).path ?? certFile}`, { cause: err });
  }
  try {
    checkTlsPair(material);
  } catch (err) {
    const mapped = toMaiError(err);
    throw new MaiError('CONFIG_INVALID', `server.tls: ${certFile}, ${keyFile}: ${mapped.message}`, { cause: err });
  }
  return { ...material, fingerprint: tlsFingerprint(material.certPem), selfSigned, certFile };
}

async function exists(path: string): Promise<boolean> {
  return fs.access(path).then(
    () => true,
    () => false,
  );
}
