/** Wire strings and clamps of RFC 4254 (and OpenSSH extensions) used by the gateway. */

export const SUBSYSTEM_SFTP = 'sftp';
export const SFTP_SERVER_PATH = '/usr/lib/openssh/sftp-server';

/** RFC 4254 §6.10: the signal names a client may send (without the SIG prefix). */
export const SIGNAL_NAMES = new Set(['ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2']);

/** Terminal sizes outside 1..4096 are nonsense or hostile; clamp them. */
export function clampTerminal(value: number, fallback: number): number {
  if (!Number.isFinite(value) || value < 1) return fallback;
  return Math.min(Math.floor(value), 4096);
}

/** TERM values are passed to the container; keep them to what a terminfo name can be. */
export function sanitizeTerm(term: string | undefined): string {
  return term && /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : 'xterm-256color';
}

/** `LANG`, `LC_*`-style allow-list match. */
export function envAllowed(allow: readonly string[], key: string): boolean {
  return allow.some((pattern) => (pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern));
}
