import { MaiError } from '../errors.js';

/** How a repository is reached: the same repository has one id whatever form the user typed. */
export interface ProjectUrl {
  /** `host[:port]/path`, host lowercased, no scheme, no user, no `.git`, default ports dropped. */
  id: string;
  scheme: 'ssh' | 'https' | 'http';
  host: string;
  /** Only when not the scheme's default. */
  port?: number;
  /** Repository path without leading `/` and without `.git`. */
  path: string;
  /** The URL git clones, as the user gave it (bare `host/path` becomes `https://host/path.git`). */
  cloneUrl: string;
}

const DEFAULT_PORTS: Record<ProjectUrl['scheme'], number> = { ssh: 22, https: 443, http: 80 };
const HOST = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$|^\[[0-9a-f:.]+\]$/i;
const SCP_LIKE = /^(?:([^@/\s:]+)@)?([^@/\s:]+):(?!\/\/)(.+)$/;

/**
 * Parses the forms users type: `git@host:owner/repo(.git)`, `ssh://[user@]host[:port]/path`,
 * `https://host[:port]/path`, `http://...`, and bare `host/owner/repo` (https).
 * Credentials inside a URL are refused: they belong in `--token`, where they are sealed.
 */
export function parseProjectUrl(input: string): ProjectUrl {
  const text = input.trim();
  const bad = (why: string) => new MaiError('INPUT_INVALID', `project URL "${text}": ${why}`);
  if (!text || /\s/.test(text)) throw bad('expected git@host:path, ssh://host/path, https://host/path or host/path');
  // Checked on the raw text: URL parsing would silently resolve `..` into another repository's id.
  if (/(^|[/:])\.\.(\/|$)/.test(text)) throw bad('".." is not allowed in a repository path');

  let scheme: ProjectUrl['scheme'];
  let host: string;
  let port: number | undefined;
  let rawPath: string;
  let cloneUrl = text;
  const schemeMatch = /^([a-z][a-z0-9+.-]*):\/\//i.exec(text);
  if (schemeMatch) {
    const given = schemeMatch[1]!.toLowerCase();
    const normalized = given === 'git+ssh' || given === 'ssh+git' ? 'ssh' : given;
    if (normalized !== 'ssh' && normalized !== 'https' && normalized !== 'http') throw bad(`unsupported scheme ${given}://`);
    scheme = normalized;
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw bad('not a valid URL');
    }
    if (url.password || (scheme !== 'ssh' && url.username)) throw bad('credentials do not belong in the URL; pass them with --token or --ssh-key');
    host = url.hostname;
    port = url.port ? Number(url.port) : undefined;
    rawPath = decodeURIComponent(url.pathname);
    if (url.search || url.hash) throw bad('no query or fragment expected');
  } else {
    const scp = SCP_LIKE.exec(text);
    if (scp && !scp[2]!.includes('.') && scp[2] !== 'localhost' && !text.includes('@')) {
      // `owner:repo` without a user or a dotted host is more likely a typo than a host name.
      throw bad('expected git@host:path, ssh://host/path, https://host/path or host/path');
    }
    if (scp) {
      scheme = 'ssh';
      host = scp[2]!;
      rawPath = scp[3]!;
    } else {
      const slash = text.indexOf('/');
      if (slash <= 0) throw bad('expected git@host:path, ssh://host/path, https://host/path or host/path');
      scheme = 'https';
      const authority = text.slice(0, slash);
      const colon = authority.lastIndexOf(':');
      host = colon > 0 ? authority.slice(0, colon) : authority;
      port = colon > 0 ? Number(authority.slice(colon + 1)) : undefined;
      rawPath = text.slice(slash);
      if (!host.includes('.') && host !== 'localhost') throw bad('a bare URL must start with a host name, like github.com/owner/repo');
      cloneUrl = `https://${authority}${rawPath.replace(/\/+$/, '')}${rawPath.endsWith('.git') ? '' : '.git'}`;
    }
  }

  host = host.toLowerCase();
  if (!HOST.test(host)) throw bad(`"${host}" is not a host name`);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw bad('invalid port');
  if (port === DEFAULT_PORTS[scheme]) port = undefined;
  const path = rawPath.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  if (!path || path.split('/').some((part) => part === '..' || part === '')) throw bad('expected a repository path after the host');
  const id = `${host}${port !== undefined ? `:${port}` : ''}/${path}`;
  return { id, scheme, host, ...(port !== undefined ? { port } : {}), path, cloneUrl };
}

/** The URL to clone with an SSH key: the user's own if it is SSH, else the scp-like form GitHub & co. print. */
export function sshCloneUrl(url: ProjectUrl): string {
  if (url.scheme === 'ssh') return url.cloneUrl;
  return url.port !== undefined ? `ssh://git@${url.host}:${url.port}/${url.path}.git` : `git@${url.host}:${url.path}.git`;
}

/** The URL to clone with a token: https (a token never goes over ssh, and never over plain http unless the user said http). */
export function httpsCloneUrl(url: ProjectUrl): string {
  if (url.scheme !== 'ssh') return url.cloneUrl;
  return `https://${url.host}/${url.path}.git`;
}
