import { createHash, randomBytes } from 'node:crypto';

/**
 * The server's own bearer secrets: 256 random bits behind a prefix that says what
 * they are (so a leaked one is recognisable in a scanner or a log). Only their
 * sha256 is stored: a plain hash suffices for high-entropy random values.
 */
export type TokenPrefix = 'mai_at' | 'mai_rt' | 'mai_dc';

export function newOpaqueToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
