import { createHash, randomBytes } from 'node:crypto';

/**
 * The server's own bearer secrets: 256 random bits behind a prefix that says what
 * they are (so a leaked one is recognisable in a scanner or a log). Only their
 * sha256 is stored: a plain hash suffices for high-entropy random values.
 */
export type TokenPrefix = 'mai_at' | 'mai_rt' | 'mai_bs' | 'mai_dc';

/** The prefix of each kind of stored token (`mai_bs`: a web UI sign-in, the browser's cookie). */
export const TOKEN_PREFIXES = { access: 'mai_at', refresh: 'mai_rt', browser: 'mai_bs' } as const satisfies Record<string, TokenPrefix>;

export function newOpaqueToken(prefix: TokenPrefix): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
