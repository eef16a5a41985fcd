/**
 * Files the CLI keeps credentials in: created with mode 0600 (directories 0700) from
 * the first byte, never chmod'ed afterwards, and replaced atomically (a temporary file
 * renamed over the old one), so a reader sees the old file or the new one, never half.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import { dirname } from 'node:path';
import { createFileOnce } from '../../keys/key-files.js';
import { MaiError, toMaiError } from '../../gateway/errors.js';

export async function ensurePrivateDir(dir: string): Promise<void> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Writes `data` to `path` with mode 0600, replacing any existing file in one step. */
export async function writePrivateFile(path: string, data: string | Uint8Array): Promise<void> {
  await ensurePrivateDir(dirname(path));
  const tmp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    // `wx`: never follow or reuse a file someone else put at the temporary name.
    await fs.writeFile(tmp, data, { mode: 0o600, flag: 'wx' });
    await fs.rename(tmp, path);
  } catch (err) {
    await fs.unlink(tmp).catch(() => undefined);
    throw new MaiError('CONFIG_INVALID', `cannot write ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
}

/** Creates `path` with `data` only if it does not exist yet; returns false when it did (racing CLIs agree on one file). */
export async function createPrivateFile(path: string, data: string | Uint8Array): Promise<boolean> {
  await ensurePrivateDir(dirname(path));
  try {
    return await createFileOnce(path, data);
  } catch (err) {
    throw toMaiError(err);
  }
}

/** The file's bytes, or null when it does not exist; refuses a file others can read. */
export async function readPrivateFile(path: string): Promise<Buffer | null> {
  let handle;
  try {
    handle = await fs.open(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new MaiError('CONFIG_INVALID', `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, { cause: err });
  }
  try {
    const st = await handle.stat();
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8).padStart(4, '0');
      throw new MaiError('CONFIG_INVALID', `${path} has mode ${mode}; it must be private (chmod 600 ${path})`);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

export async function removeFile(path: string): Promise<void> {
  await fs.rm(path, { force: true });
}
