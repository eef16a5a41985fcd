import { isIP } from 'node:net';

/**
 * A host name or address that never leaves this machine: `localhost`, 127.0.0.0/8,
 * `::1` (bracketed as in URLs, or not). Where mai lets plain HTTP through, it is only here.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1' || bare === '0:0:0:0:0:0:0:1' || bare.startsWith('::ffff:127.');
}
