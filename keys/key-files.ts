/**
 * The server's own ed25519 keys on disk (host key, user CA): created once with mode
 * 0600 in OpenSSH format (plus `<path>.pub`), loaded on every later start.
 */
import { generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { inspect } from 'node:util';
import { KeyError } from './key-error.js';
import { decodeOpenSshEd25519PrivateKey, encodeOpenSshEd25519PrivateKey } from './openssh-private-key.js';
import { formatOpenSshPublicLine, publicKeyBlobFromKeyObject, sshFingerprint } from './ssh-public-key.js';

export { sshFingerprint };

/**
 * An ed25519 key loaded from (or just written to) a file. Immutable. Its
 * `toJSON`/inspect output is redacted, so logging the object never leaks the key.
 */
export class Ed25519KeyFile {
  readonly publicKeyBlob: Buffer;
  readonly publicKeyLine: string;
  /** `SHA256:...` as ssh-keygen -l prints it. */
  readonly fingerprint: string;

  constructor(
    readonly path: string,
    /** For signing (node:crypto). */
    readonly privateKey: KeyObject,
    /** The file's text, OpenSSH format; what ssh2's server takes as a host key. */
    readonly privateKeyText: string,
    comment: string,
  ) {
    this.publicKeyBlob = publicKeyBlobFromKeyObject(privateKey);
    this.publicKeyLine = formatOpenSshPublicLine(this.publicKeyBlob, comment);
    this.fingerprint = sshFingerprint(this.publicKeyBlob);
    Object.freeze(this);
  }

  toJSON(): object {
    return { path: this.path, publicKeyLine: this.publicKeyLine, fingerprint: this.fingerprint };
  }

  [inspect.custom](): string {
    return `Ed25519KeyFile(${this.path} ${this.fingerprint})`;
  }
}

function invalid(path: string, why: string, cause?: unknown): KeyError {
  return new KeyError('KEY_FILE', `key file ${path}: ${why}`, { cause });
}

async function load(path: string): Promise<Ed25519KeyFile> {
  let text: string;
  try {
    const st = await fs.stat(path);
    if (!st.isFile()) throw invalid(path, 'is not a regular file');
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw invalid(path, `has mode ${mode}, must not be readable by others (chmod 600 ${path})`);
    }
    text = await fs.readFile(path, 'utf8');
  } catch (err) {
    if (err instanceof KeyError) throw err;
    throw invalid(path, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  }
  try {
    const { privateKey, comment } = decodeOpenSshEd25519PrivateKey(text);
    return new Ed25519KeyFile(path, privateKey, text, comment);
  } catch (err) {
    throw invalid(path, `cannot be parsed as an unencrypted OpenSSH ed25519 key (${err instanceof Error ? err.message : 'error'})`, err);
  }
}

async function create(path: string, comment: string): Promise<boolean> {
  const { privateKey } = generateKeyPairSync('ed25519');
  await fs.mkdir(dirname(path), { recursive: true, mode: 0o700 });
  return createFileOnce(path, encodeOpenSshEd25519PrivateKey(privateKey, comment));
}

/**
 * Creates `path` with `data`, mode 0600, only if it does not exist yet; false when it
 * did. A complete temporary file is linked into place: the file appears whole or not
 * at all, and of two racing creators the first wins and the other keeps its copy out.
 */
export async function createFileOnce(path: string, data: string | Uint8Array): Promise<boolean> {
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  await fs.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
  try {
    await fs.link(tmp, path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw invalid(path, `cannot be created (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
  } finally {
    await fs.unlink(tmp).catch(() => undefined);
  }
}

/**
 * Loads the ed25519 key at `path`, generating it first if the file does not exist
 * (mode 0600, unencrypted OpenSSH format, with `<path>.pub` beside it; a missing
 * `.pub` is rewritten). Throws KeyError('KEY_FILE') naming the file when it is
 * readable by group/others or cannot be parsed.
 */
export async function loadOrCreateEd25519Key(path: string, comment = 'mai'): Promise<Ed25519KeyFile> {
  const exists = await fs.stat(path).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return false;
      throw invalid(path, `cannot be read (${err.code ?? 'error'})`, err);
    },
  );
  if (!exists) await create(path, comment);
  const key = await load(path);
  try {
    await fs.writeFile(`${path}.pub`, `${key.publicKeyLine}\n`, { mode: 0o644, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
      throw invalid(`${path}.pub`, `cannot be written (${(err as NodeJS.ErrnoException).code ?? 'error'})`, err);
    }
  }
  return key;
}
