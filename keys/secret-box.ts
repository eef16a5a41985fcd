/**
 * Secret sealing with libsodium, pure crypto (no I/O):
 *
 * - at rest: XChaCha20-Poly1305 (IETF AEAD) under the project key, with the
 *   row's identity as associated data, so a ciphertext copied onto another
 *   row (another user's project) fails to open instead of leaking;
 * - in transit from a remote CLI: `crypto_box_seal` to the server's X25519
 *   public key, so a secret is unreadable before it leaves the user's machine
 *   (anonymous sender: the server learns nothing but the plaintext). The name of
 *   the user it is for is sealed with it and checked on opening, so a sealed blob
 *   seen somewhere cannot be handed in by another user.
 */
import type Sodium from 'libsodium-wrappers';

/** libsodium, loaded and ready on first use: commands that seal nothing never pay for it (~0.1 s). */
async function ready(): Promise<typeof Sodium> {
  const { default: sodium } = await import('libsodium-wrappers');
  await sodium.ready;
  return sodium;
}

const AT_REST_PREFIX = 'v1.';
/** Length of an at-rest key (XChaCha20-Poly1305). */
export const AT_REST_KEY_BYTES = 32;
export const SEALED_PREFIX = 'sealed.v2.';
/** What mai before v2 sealed: not bound to a user, so no longer accepted. */
const UNBOUND_SEALED_PREFIX = 'sealed.v1.';

/** 32 random bytes as base64: what `PROJECT_ENCRYPTION_KEY` should be. */
export async function generateProjectKey(): Promise<string> {
  const sodium = await ready();
  return Buffer.from(sodium.randombytes_buf(32)).toString('base64');
}

/**
 * The 32-byte key from the configured text: 32 bytes of base64 or 64 hex digits
 * are used as they are; anything else (a passphrase of at least 16 characters)
 * is hashed (BLAKE2b) into a key.
 */
export async function projectKeyFrom(text: string): Promise<Uint8Array> {
  const trimmed = text.trim();
  if (/^[0-9a-f]{64}$/i.test(trimmed)) return Uint8Array.from(Buffer.from(trimmed, 'hex'));
  const b64 = Buffer.from(trimmed, 'base64');
  if (b64.length === 32 && /^[A-Za-z0-9+/]{43}=?$/.test(trimmed)) return Uint8Array.from(b64);
  if (trimmed.length < 16) throw new Error('the project encryption key must be 32 random bytes (base64 or hex) or at least 16 characters');
  const sodium = await ready();
  return sodium.crypto_generichash(32, sodium.from_string(`mai project key\0${trimmed}`), null);
}

/** Encrypts `plaintext` under `key`; `context` (e.g. owner and project id) must be given again to open it. */
export async function encryptAtRest(key: Uint8Array, plaintext: string, context: string): Promise<string> {
  const sodium = await ready();
  const nonce = sodium.randombytes_buf(sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  const box = sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sodium.from_string(plaintext), sodium.from_string(context), null, nonce, key);
  return AT_REST_PREFIX + Buffer.concat([nonce, box]).toString('base64');
}

/** Opens what `encryptAtRest` made; throws on a wrong key, a wrong context or tampering. */
export async function decryptAtRest(key: Uint8Array, stored: string, context: string): Promise<string> {
  const sodium = await ready();
  if (!stored.startsWith(AT_REST_PREFIX)) throw new Error('unknown at-rest format');
  const raw = Buffer.from(stored.slice(AT_REST_PREFIX.length), 'base64');
  const n = sodium.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (raw.length <= n) throw new Error('ciphertext too short');
  const plain = sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(null, raw.subarray(n), sodium.from_string(context), raw.subarray(0, n), key);
  return sodium.to_string(plain);
}

export interface BoxKeyPair {
  publicKey: Uint8Array;
  privateKey: Uint8Array;
}

export async function generateBoxKeyPair(): Promise<BoxKeyPair> {
  const sodium = await ready();
  const pair = sodium.crypto_box_keypair();
  return { publicKey: pair.publicKey, privateKey: pair.privateKey };
}

/**
 * Seals `plaintext`, for the user `owner`, to an X25519 public key (base64):
 * `sealed.v2.<base64>`, what POST/PUT /projects accept.
 */
export async function sealTo(publicKeyB64: string, plaintext: string, owner: string): Promise<string> {
  const sodium = await ready();
  const publicKey = Buffer.from(publicKeyB64, 'base64');
  if (publicKey.length !== sodium.crypto_box_PUBLICKEYBYTES) throw new Error('not an X25519 public key');
  const bound = JSON.stringify({ for: owner, secret: plaintext });
  return SEALED_PREFIX + Buffer.from(sodium.crypto_box_seal(sodium.from_string(bound), publicKey)).toString('base64');
}

/** Whether a text is a sealed secret (of any version) rather than a plain one. */
export function isSealed(text: string): boolean {
  return text.startsWith(SEALED_PREFIX) || text.startsWith(UNBOUND_SEALED_PREFIX);
}

/**
 * Opens a `sealTo` result with the key pair it was sealed to, for `owner`; throws when
 * it was sealed to another key, for another user, by an older mai, or was damaged.
 */
export async function openSealed(pair: BoxKeyPair, sealed: string, owner: string): Promise<string> {
  const sodium = await ready();
  if (sealed.startsWith(UNBOUND_SEALED_PREFIX)) throw new Error('sealed by an older mai, without naming its user');
  if (!sealed.startsWith(SEALED_PREFIX)) throw new Error('not a sealed secret');
  const raw = Buffer.from(sealed.slice(SEALED_PREFIX.length), 'base64');
  const bound = JSON.parse(sodium.to_string(sodium.crypto_box_seal_open(raw, pair.publicKey, pair.privateKey))) as { for?: unknown; secret?: unknown };
  if (bound.for !== owner || typeof bound.secret !== 'string') throw new Error('sealed for another user');
  return bound.secret;
}
