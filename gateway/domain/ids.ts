import { randomInt } from 'node:crypto';

/** Lowercase letters and digits without the look-alikes (0/o, 1/l/i): easy to read aloud and type. */
const ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';
export const SESSION_ID = /^[a-hjkmnp-z2-9]{10}$/;

/** A short, lowercase, URL-safe session id: 10 characters, about 50 bits. */
export function newSessionId(): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}
