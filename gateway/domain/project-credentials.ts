import { formatOpenSshPublicLine } from '../../keys/index.js';
import { readOpenSshPrivateKeyHeader, type OpenSshPrivateKeyHeader } from '../../keys/openssh-private-key.js';
import { MaiError } from '../errors.js';

/**
 * Checks of the credentials a user hands over, before they are sealed away:
 * a key that cannot work inside a session is refused now, with a reason,
 * rather than failing later in an init log.
 */

/**
 * Validates a private key for git over SSH and returns its public key line when
 * it can be read (OpenSSH format). Passphrase-protected keys are refused: there
 * is no one to type the passphrase inside a session.
 */
export function checkSshPrivateKey(text: string): { key: string; publicKey: string | null } {
  const key = text.replace(/\r\n/g, '\n').trim() + '\n'; // ssh refuses a key file without its final newline
  const bad = (why: string) => new MaiError('INPUT_INVALID', `the SSH key ${why}`);
  if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\n/.test(key) || !/\n-----END [A-Z0-9 ]*PRIVATE KEY-----\n$/.test(key)) {
    throw bad('is not a private key file (expected -----BEGIN ... PRIVATE KEY-----; did you pass the .pub file?)');
  }
  if (/ENCRYPTED/.test(key)) throw bad('is protected by a passphrase; use a key without one (a deploy key) for projects');
  if (!key.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----')) return { key, publicKey: null };
  let header: OpenSshPrivateKeyHeader;
  let publicKey: string;
  try {
    header = readOpenSshPrivateKeyHeader(key);
    publicKey = formatOpenSshPublicLine(header.publicKeyBlob);
  } catch {
    throw bad('is not a readable OpenSSH private key');
  }
  if (header.encrypted) throw bad('is protected by a passphrase; use a key without one (a deploy key) for projects');
  return { key, publicKey };
}

/** A token is one line of printable text. */
export function checkToken(text: string): string {
  const token = text.trim();
  if (!token || token.length > 4096 || /[\s\x00-\x1f]/.test(token)) {
    throw new MaiError('INPUT_INVALID', 'the token must be one line of printable characters');
  }
  return token;
}

/**
 * The user name sent with a token (`--username`): it ends up in a git credential
 * helper inside the session, so only the characters a user name has are accepted.
 */
export function checkGitUsername(text: string): string {
  const name = text.trim();
  if (!/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/.test(name)) {
    throw new MaiError('INPUT_INVALID', 'the git user name may use letters, digits and . _ @ + - (at most 128)');
  }
  return name;
}

/** known_hosts lines (`host[,host] keytype base64`), comments and blanks dropped. */
export function checkKnownHosts(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  if (lines.length === 0 || lines.some((l) => !/^(@\S+\s+)?\S+\s+\S+\s+[A-Za-z0-9+/=]+(\s.*)?$/.test(l))) {
    throw new MaiError('INPUT_INVALID', 'known hosts must be known_hosts lines: HOST KEYTYPE BASE64 (ssh-keyscan prints them)');
  }
  return `${lines.join('\n')}\n`;
}

/** A PEM certificate (a private CA the git host's TLS certificate chains to). */
export function checkCaCert(text: string): string {
  const pem = text.replace(/\r\n/g, '\n').trim();
  if (!/^-----BEGIN CERTIFICATE-----\n[\s\S]+\n-----END CERTIFICATE-----$/.test(pem)) {
    throw new MaiError('INPUT_INVALID', 'the CA certificate must be PEM (-----BEGIN CERTIFICATE-----)');
  }
  return `${pem}\n`;
}
