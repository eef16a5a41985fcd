/**
 * A remote's API tokens at rest: encrypted (keys/secret-box.ts, XChaCha20-Poly1305
 * with the remote's name as associated data) under a random key in
 * `<configDir>/key`, one key for every remote. The key and the token files are 0600;
 * the token file holds only ciphertext, so a backup or a stray `cat` shows no token.
 */
import { randomBytes } from 'node:crypto';
import { AT_REST_KEY_BYTES, decryptAtRest, encryptAtRest } from '../../keys/secret-box.js';
import { MaiError } from '../../gateway/errors.js';
import { createPrivateFile, readPrivateFile, removeFile, writePrivateFile } from './private-files.js';

/** What a login leaves behind: the server's tokens and when they stop working (ms since the epoch). */
export interface StoredLogin {
  remote: string;
  user: string;
  admin: boolean;
  accessToken: string;
  accessExpiresAt: number;
  refreshToken: string;
  refreshExpiresAt: number;
}

interface SealedFile {
  version: 2;
  sealed: string;
}

export class TokenStore {
  constructor(
    private readonly keyFile: string,
    private readonly file: string,
    private readonly remote: string,
  ) {}

  async load(): Promise<StoredLogin | null> {
    const raw = await readPrivateFile(this.file);
    if (!raw) return null;
    let plain: string;
    try {
      const file = JSON.parse(raw.toString('utf8')) as SealedFile;
      plain = await decryptAtRest(await this.key(), file.sealed, this.context());
    } catch (err) {
      if (err instanceof MaiError) throw err;
      throw new MaiError('AUTH_EXPIRED', `the stored login for "${this.remote}" cannot be read; run "mai -r ${this.remote} auth"`, { cause: err });
    }
    return JSON.parse(plain) as StoredLogin;
  }

  async save(login: StoredLogin): Promise<void> {
    const file: SealedFile = { version: 2, sealed: await encryptAtRest(await this.key(), JSON.stringify(login), this.context()) };
    await writePrivateFile(this.file, `${JSON.stringify(file)}\n`);
  }

  async remove(): Promise<void> {
    await removeFile(this.file);
  }

  /** Binds a token file to its remote: one copied into another remote's folder does not open. */
  private context(): string {
    return `mai cli login\0${this.remote}`;
  }

  /** The key, created on first use; a concurrent first use agrees on one key. */
  private async key(): Promise<Uint8Array> {
    let raw = await readPrivateFile(this.keyFile);
    if (!raw) {
      await createPrivateFile(this.keyFile, randomBytes(AT_REST_KEY_BYTES));
      raw = await readPrivateFile(this.keyFile);
    }
    if (!raw || raw.length !== AT_REST_KEY_BYTES) {
      throw new MaiError('CONFIG_INVALID', `${this.keyFile}: not a ${AT_REST_KEY_BYTES}-byte key; remove it and log in again`);
    }
    return raw;
  }
}
