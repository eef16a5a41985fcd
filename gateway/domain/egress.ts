import { z } from 'zod';
import { MaiError } from '../errors.js';

/**
 * Where a session may connect to (`--egress`):
 * - `open`: anywhere (the session sits on the shared bridge, as mai always did);
 * - `none`: nowhere; the session's own network is internal, with no route out;
 * - `allow`: the listed hosts only, through a filtering proxy (tinyproxy) that is the
 *   session network's one way out; `HTTP(S)_PROXY` point at it.
 */
export type Egress =
  | { readonly mode: 'open' }
  | { readonly mode: 'none' }
  | { readonly mode: 'allow'; readonly hosts: readonly string[] };

export const OPEN_EGRESS: Egress = { mode: 'open' };

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/** A host name (a `*.` prefix for every name below a domain), or an IPv4 address. */
const HOST = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);
const USAGE = 'expected open, none or allow:HOST[,HOST...]';

/** `open`, `none` or `allow:HOST,...` as typed on any front end; an error is one line naming what is wrong. */
export function parseEgress(text: string): Egress {
  const value = text.trim();
  if (value === 'open' || value === 'none') return { mode: value };
  if (!value.startsWith('allow:')) throw new MaiError('INPUT_INVALID', `--egress "${clip(value)}": ${USAGE}`);
  const hosts = value
    .slice('allow:'.length)
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter(Boolean);
  if (hosts.length === 0) throw new MaiError('INPUT_INVALID', '--egress allow: needs at least one host (allow:github.com,registry.npmjs.org)');
  const bad = hosts.find((h) => h.length > 253 || !HOST.test(h));
  if (bad !== undefined) throw new MaiError('INPUT_INVALID', `--egress: "${clip(bad)}" is not a host name (HOST or *.DOMAIN)`);
  if (hosts.length > 256) throw new MaiError('INPUT_INVALID', '--egress: at most 256 hosts');
  return { mode: 'allow', hosts: [...new Set(hosts)] };
}

export function formatEgress(egress: Egress): string {
  return egress.mode === 'allow' ? `allow:${egress.hosts.join(',')}` : egress.mode;
}

/** The same rule in a config file (`egress.default`); errors name the dotted path. */
export const egressSchema = z.string().transform((text, ctx) => {
  try {
    return parseEgress(text);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: err instanceof MaiError ? err.message.replace(/^--egress:? ?/, '') : USAGE });
    return z.NEVER;
  }
});

/** `allow` with `more` hosts added (the project's git host, ...); other modes as they are. */
export function withHosts(egress: Egress, more: readonly string[]): Egress {
  if (egress.mode !== 'allow') return egress;
  return { mode: 'allow', hosts: [...new Set([...egress.hosts, ...more.map((h) => h.toLowerCase())])] };
}

/** The host of an http(s) URL, or null. */
export function hostOfUrl(url: string): string | null {
  try {
    const host = new URL(url).hostname.toLowerCase();
    return host.replace(/^\[|\]$/g, '') || null;
  } catch {
    return null;
  }
}

/**
 * tinyproxy's settings for an allow list: it listens on `port`, serves only `clients`
 * (the session network's subnet: nobody on the outside bridge can use it), and lets
 * through requests and CONNECT tunnels whose host matches a line of the filter file,
 * nothing else (`FilterDefaultDeny`): denied requests get "403 Filtered".
 */
export function proxyConfig(options: { port: number; clients: string | null; filterFile: string }): string {
  return [
    `Port ${options.port}`,
    'Timeout 600',
    'MaxClients 200',
    'LogLevel Notice',
    // Nothing that names the session or mai to the outside.
    'DisableViaHeader Yes',
    ...(options.clients ? [`Allow ${options.clients}`] : []),
    `Filter "${options.filterFile}"`,
    'FilterType fnmatch',
    'FilterURLs Off',
    'FilterCaseSensitive Off',
    'FilterDefaultDeny Yes',
    '',
  ].join('\n');
}

/** The filter file: one fnmatch pattern per allowed host (`*.example.com` is every name below example.com). */
export function proxyFilter(hosts: readonly string[]): string {
  return hosts.map((h) => `${h}\n`).join('');
}

function clip(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
