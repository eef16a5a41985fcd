/**
 * A remote's API tokens at rest: encrypted with libsodium's secretbox
 * (XSalsa20-Poly1305) under a random key in `<configDir>/key`, one key for every
 * remote. The key and the token files are 0600; the token file holds only a nonce
 * and ciphertext, so a backup or a stray `cat` shows no token.
 */
import sodium from 'libsodium-wrappers';
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
  version: 1;
  nonce: string;
  ciphertext: string;
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
    await sodium.ready;
    let plain: Uint8Array;
    try {
      const sealed = JSON.parse(raw.toString('utf8')) as SealedFile;
      plain = sodium.crypto_secretbox_open_easy(
        sodium.from_base64(sealed.ciphertext, sodium.base64_variants.ORIGINAL),
        sodium.from_base64(sealed.nonce, sodium.base64_variants.ORIGINAL),
        await this.key(),
      );
    } catch (err) {
      throw new MaiError('AUTH_EXPIRED', `the stored login for "${this.remote}" cannot be read; run "mai -r ${this.remote} auth"`, { cause: err });
    }
    const login = JSON.parse(Buffer.from(plain).toString('utf8')) as StoredLogin;
    // A token file copied from another remote's folder is not this remote's login.
    if (login.remote !== this.remote) throw new MaiError('AUTH_EXPIRED', `the stored login is not for "${this.remote}"; run "mai -r ${this.remote} auth"`);
    return login;
  }

  async save(login: StoredLogin): Promise<void> {
    await sodium.ready;
    const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
    const ciphertext = sodium.crypto_secretbox_easy(Buffer.from(JSON.stringify(login), 'utf8'), nonce, await this.key());
    const sealed: SealedFile = {
      version: 1,
      nonce: sodium.to_base64(nonce, sodium.base64_variants.ORIGINAL),
      ciphertext: sodium.to_base64(ciphertext, sodium.base64_variants.ORIGINAL),
    };
    await writePrivateFile(this.file, `${JSON.stringify(sealed)}\n`);
  }

  async remove(): Promise<void> {
    await removeFile(this.file);
  }

  /** The secretbox key, created on first use; a concurrent first use agrees on one key. */
  private async key(): Promise<Uint8Array> {
    let raw = await readPrivateFile(this.keyFile);
    if (!raw) {
      await createPrivateFile(this.keyFile, sodium.randombytes_buf(sodium.crypto_secretbox_KEYBYTES));
      raw = await readPrivateFile(this.keyFile);
    }
    if (!raw || raw.length !== sodium.crypto_secretbox_KEYBYTES) {
      throw new MaiError('CONFIG_INVALID', `${this.keyFile}: not a ${sodium.crypto_secretbox_KEYBYTES}-byte key; remove it and log in again`);
    }
    return raw;
  }
}
