/** Wire strings of RFC 4254 (and OpenSSH extensions) used by the gateway; terminal clamps and signals are in domain/terminal.ts. */

export const SUBSYSTEM_SFTP = 'sftp';
export const SFTP_SERVER_PATH = '/usr/lib/openssh/sftp-server';

/** `LANG`, `LC_*`-style allow-list match. */
export function envAllowed(allow: readonly string[], key: string): boolean {
  return allow.some((pattern) => (pattern.endsWith('*') ? key.startsWith(pattern.slice(0, -1)) : key === pattern));
}
