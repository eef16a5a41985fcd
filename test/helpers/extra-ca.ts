import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The CAs this machine trusts beyond Debian's bundle (a TLS-inspecting egress proxy): image builds must trust them too (MAI_EXTRA_CA). */
export function extraCa(): string | undefined {
  const dir = '/usr/local/share/ca-certificates';
  if (!existsSync(dir)) return undefined;
  const pems = readdirSync(dir).filter((f) => f.endsWith('.crt')).map((f) => readFileSync(join(dir, f), 'utf8').trim());
  return pems.length ? pems.join('\n') : undefined;
}
