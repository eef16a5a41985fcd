/**
 * Everything plain `ssh` needs to reach a remote's gateway, kept in the remote's
 * folder: an ed25519 key (or the user's own, `--key`), a short-lived certificate from
 * /auth/ssh-cert, the gateway's host key pinned in a known_hosts file, and an ssh
 * config block the user can `Include` from ~/.ssh/config. Every file is 0600.
 */
import { generateKeyPairSync } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { formatOpenSshPublicLine, parseCertificate, parseOpenSshPublicLine, publicKeyBlobFromKeyObject } from '../../keys/index.js';
import { encodeOpenSshEd25519PrivateKey } from '../../keys/openssh-private-key.js';
import { MaiError } from '../../gateway/errors.js';
import { USER_NAME } from '../../gateway/users/user-name.js';
import type { ApiClient } from './api-client.js';
import { createPrivateFile, writePrivateFile } from './private-files.js';
import type { Remote } from './remotes.js';

/** GET /gateway. */
export interface GatewayInfo {
  host: string;
  port: number;
  login: string;
  hostKey: string;
  knownHostsLine: string;
}

/** Renew when less than this is left, or a quarter of the certificate's life for short ones. */
const RENEW_MARGIN_MS = 5 * 60_000;

/** After a login: key, certificate, known_hosts and the config block, all (re)written. */
export async function setUpSsh(remote: Remote, api: ApiClient): Promise<GatewayInfo> {
  const publicKey = await ensureKey(remote);
  const gateway = checkedGateway(await api.json<GatewayInfo>('GET', '/gateway'));
  await writePrivateFile(remote.paths.knownHosts, `${gateway.knownHostsLine}\n`);
  await writePrivateFile(remote.paths.sshConfig, sshConfigBlock(remote, gateway));
  await issueCertificate(remote, api, publicKey);
  return gateway;
}

/**
 * Called before every use of ssh: a certificate that is missing, for another key,
 * expired or about to expire is replaced. The file's mtime is when it was issued, so
 * "about to" scales with the certificate's lifetime.
 */
export async function ensureFreshCertificate(remote: Remote, api: ApiClient, now = Date.now()): Promise<void> {
  const publicKey = await readPublicKey(remote);
  if (!(await certificateIsFresh(remote, publicKey, now))) await issueCertificate(remote, api, publicKey);
}

async function certificateIsFresh(remote: Remote, publicKey: string, now: number): Promise<boolean> {
  let text: string;
  let issuedAt: number;
  try {
    text = await fs.readFile(remote.paths.cert, 'utf8');
    issuedAt = (await fs.stat(remote.paths.cert)).mtimeMs;
  } catch {
    return false;
  }
  try {
    const cert = parseCertificate(parseOpenSshPublicLine(text).blob);
    if (!cert.publicKey.blob.equals(parseOpenSshPublicLine(publicKey).blob)) return false;
    const validBefore = Number(cert.validBefore) * 1000;
    const margin = Math.min(RENEW_MARGIN_MS, Math.max(0, validBefore - issuedAt) / 4);
    return validBefore - now > margin;
  } catch {
    return false;
  }
}

async function issueCertificate(remote: Remote, api: ApiClient, publicKey: string): Promise<void> {
  const issued = await api.json<{ certificate: string }>('POST', '/auth/ssh-cert', { body: { publicKey } });
  await writePrivateFile(remote.paths.cert, `${issued.certificate}\n`);
}

/** Our own key is created on first use; a `--key` of the user's must exist with its `.pub`. */
async function ensureKey(remote: Remote): Promise<string> {
  if (!remote.config.key) {
    const { privateKey } = generateKeyPairSync('ed25519');
    const comment = `mai-${remote.name}`;
    // Both files are created only when absent, so a second login keeps the key (and any pinning of it).
    if (await createPrivateFile(remote.paths.key, encodeOpenSshEd25519PrivateKey(privateKey, comment))) {
      await writePrivateFile(remote.paths.publicKey, `${formatOpenSshPublicLine(publicKeyBlobFromKeyObject(privateKey), comment)}\n`);
    }
  }
  return readPublicKey(remote);
}

async function readPublicKey(remote: Remote): Promise<string> {
  try {
    return (await fs.readFile(remote.paths.publicKey, 'utf8')).trim();
  } catch (err) {
    const hint = remote.config.key ? `the key given with --key needs its public half beside it` : `run "mai -r ${remote.name} auth"`;
    throw new MaiError('AUTH_REQUIRED', `no public key at ${remote.paths.publicKey}; ${hint}`, { cause: err });
  }
}

/** A host name or an IP address: what `HostName` and known_hosts may hold, nothing an ssh option could hide in. */
const HOST = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The server's answer, checked before any of it reaches ssh_config or known_hosts: a
 * hostile server (or anyone between on plain http) must not slip an option such as
 * `ProxyCommand` in with a newline. The known_hosts line is rebuilt from the checked
 * parts rather than taken as sent.
 */
export function checkedGateway(info: GatewayInfo): GatewayInfo {
  const bad = (what: string) => new MaiError('REMOTE_UNREACHABLE', `the server's /gateway answer has an invalid ${what}; not writing an ssh config from it`);
  if (typeof info.host !== 'string' || !HOST.test(info.host)) throw bad('host');
  if (!Number.isInteger(info.port) || info.port < 1 || info.port > 65535) throw bad('port');
  if (typeof info.login !== 'string' || !USER_NAME.test(info.login)) throw bad('login');
  let hostKey: string;
  try {
    if (/[\r\n]/.test(String(info.hostKey))) throw new Error('more than one line');
    const parsed = parseOpenSshPublicLine(String(info.hostKey));
    hostKey = formatOpenSshPublicLine(parsed.blob);
  } catch {
    throw bad('host key');
  }
  const knownHost = info.port === 22 ? info.host : `[${info.host}]:${info.port}`;
  return { host: info.host, port: info.port, login: info.login, hostKey, knownHostsLine: `${knownHost} ${hostKey}` };
}

/** ssh_config(5) quoting: double quotes around paths, which may hold spaces. */
const quoted = (path: string) => `"${path.replace(/"/g, '')}"`;

export function sshConfigBlock(remote: Remote, gateway: GatewayInfo): string {
  const { paths } = remote;
  return [
    `# Written by mai for the remote "${remote.name}" (${remote.url}); rewritten by "mai -r ${remote.name} auth".`,
    `# Use it with: Include ${paths.sshConfig}   (in ~/.ssh/config), then: ssh ${remote.alias} SESSION`,
    `Host ${remote.alias}`,
    `  HostName ${gateway.host}`,
    `  Port ${gateway.port}`,
    `  User ${gateway.login}`,
    `  IdentityFile ${quoted(paths.key)}`,
    `  CertificateFile ${quoted(paths.cert)}`,
    `  IdentitiesOnly yes`,
    `  UserKnownHostsFile ${quoted(paths.knownHosts)}`,
    `  StrictHostKeyChecking yes`,
    `  UpdateHostKeys no`,
    '',
  ].join('\n');
}
