/** Shared helpers for keys/ tests: golden fixtures and the real ssh-keygen. */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseOpenSshPublicLine } from '../../../keys/ssh-public-key.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/certs/', import.meta.url));

export function fixtureText(name: string): string {
  return readFileSync(FIXTURES + name, 'utf8');
}

/** The blob of an OpenSSH public key / certificate line in a fixture file. */
export function fixtureBlob(name: string): Buffer {
  return parseOpenSshPublicLine(fixtureText(name)).blob;
}

export interface KeygenListing {
  type: string;
  certType: string;
  keyId: string;
  serial: string;
  valid: string;
  signingCa: string;
  principals: string[];
  criticalOptions: string[];
  extensions: string[];
}

/** Runs `ssh-keygen -L -f FILE` (UTC) and parses its listing. */
export function keygenList(file: string): KeygenListing {
  const out = execFileSync('ssh-keygen', ['-L', '-f', file], { env: { ...process.env, TZ: 'UTC' }, encoding: 'utf8' });
  const field = (name: string): string => {
    const m = new RegExp(`^\\s+${name}: ?(.*)$`, 'm').exec(out);
    if (!m) throw new Error(`ssh-keygen -L output lacks ${name}:\n${out}`);
    return (m[1] as string).trim();
  };
  const list = (name: string): string[] => {
    const lines = out.split('\n');
    const start = lines.findIndex((l) => new RegExp(`^\\s+${name}:`).test(l));
    if (start < 0 || /\(none\)/.test(lines[start] as string)) return [];
    const items: string[] = [];
    for (const l of lines.slice(start + 1)) {
      if (!/^\s{16}\S/.test(l)) break;
      items.push(l.trim());
    }
    return items;
  };
  const [type = '', certType = ''] = field('Type').split(' ');
  return {
    type,
    certType,
    keyId: JSON.parse(field('Key ID')) as string,
    serial: field('Serial'),
    valid: field('Valid'),
    signingCa: field('Signing CA'),
    principals: list('Principals'),
    criticalOptions: list('Critical Options'),
    extensions: list('Extensions'),
  };
}

/** `ssh-keygen -L`'s rendering of a validity window in UTC. */
export function keygenValidity(after: bigint, before: bigint): string {
  const iso = (s: bigint): string => new Date(Number(s) * 1000).toISOString().slice(0, 19);
  if (after === 0n && before === (1n << 64n) - 1n) return 'forever';
  return `from ${iso(after)} to ${iso(before)}`;
}
