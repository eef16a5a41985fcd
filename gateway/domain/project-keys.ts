import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createFileOnce } from '../../keys/key-files.js';
import { join } from 'node:path';
import { decryptAtRest, encryptAtRest, generateBoxKeyPair, generateProjectKey, type BoxKeyPair } from '../../keys/secret-box.js';
import { MaiError } from '../errors.js';

/** Files in the data dir; both 0600. */
export const PROJECT_KEY_FILE = 'project.key';
export const BOX_KEY_FILE = 'project-box.json';
const BOX_CONTEXT = 'mai project box key';

/**
 * The project key of a single-node setup (the local CLI, an embedded `mai serve`
 * without `projects.storage.key`): made once, kept beside the database. A server
 * with replicas must configure one shared key (PROJECT_ENCRYPTION_KEY) instead.
 */
export async function loadOrCreateProjectKeyFile(dataDir: string): Promise<string> {
  const file = join(dataDir, PROJECT_KEY_FILE);
  if (!existsSync(file)) {
    // Whole or not at all (a crash mid-write leaves no half key); of two processes racing here, the second reads the first's.
    await createFileOnce(file, `${await generateProjectKey()}\n`);
  }
  return (await readFile(file, 'utf8')).trim();
}

/**
 * The server's X25519 key pair, to which remote CLIs seal secrets (`GET /projects/key`).
 * Created once in the data dir; its private half is stored encrypted under the project key.
 */
export async function loadOrCreateBoxKeyPair(dataDir: string, projectKey: Uint8Array): Promise<BoxKeyPair> {
  const file = join(dataDir, BOX_KEY_FILE);
  if (!existsSync(file)) {
    const pair = await generateBoxKeyPair();
    const stored = {
      publicKey: Buffer.from(pair.publicKey).toString('base64'),
      privateKey: await encryptAtRest(projectKey, Buffer.from(pair.privateKey).toString('base64'), BOX_CONTEXT),
    };
    await createFileOnce(file, `${JSON.stringify(stored, null, 2)}\n`);
  }
  try {
    const stored = JSON.parse(await readFile(file, 'utf8')) as { publicKey: string; privateKey: string };
    const privateKey = Buffer.from(await decryptAtRest(projectKey, stored.privateKey, BOX_CONTEXT), 'base64');
    return { publicKey: Uint8Array.from(Buffer.from(stored.publicKey, 'base64')), privateKey: Uint8Array.from(privateKey) };
  } catch (err) {
    throw new MaiError('CONFIG_INVALID', `${file} cannot be opened with the configured project key (was the key changed?)`, { cause: err });
  }
}
