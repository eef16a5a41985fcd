import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../drivers/package-root.js';
import type { ContainerBackend, ContainerFile } from '../backend/backend.js';
import { LABEL_DRIVER_DIGEST, type Progress } from './driver-builder.js';
import { proxyConfig, proxyFilter } from './egress.js';
import { SESSION_USER_ID } from './project-service.js';

/** The proxy's image, built by mai from deploy/egress-proxy on first use (tinyproxy from Debian). */
export const EGRESS_PROXY_IMAGE = 'mai/egress-proxy:latest';
/** Its name on the session's network, and its port. */
export const PROXY_HOST = 'mai-egress';
export const PROXY_PORT = 3128;
const PROXY_URL = `http://${PROXY_HOST}:${PROXY_PORT}`;
const CONFIG_FILE = '/etc/mai/tinyproxy.conf';
const FILTER_FILE = '/etc/mai/egress-allow';

/**
 * Builds the proxy image when the engine lacks it or has one built from another
 * Dockerfile (labelled with a digest of the Dockerfile and the build arguments, as drivers are).
 */
export async function ensureEgressProxyImage(backend: ContainerBackend, onProgress: Progress, buildArgs: Record<string, string>): Promise<void> {
  const contextDir = join(packageRoot(), 'deploy', 'egress-proxy');
  const hash = createHash('sha256').update(readFileSync(join(contextDir, 'Dockerfile')));
  for (const [key, value] of Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))) hash.update(`\0${key}\0${value}`);
  const digest = hash.digest('hex');
  const labels = await backend.imageLabels(EGRESS_PROXY_IMAGE);
  if (labels?.[LABEL_DRIVER_DIGEST] === digest) return;
  onProgress(`building ${EGRESS_PROXY_IMAGE} (the egress proxy of --egress allow:) from ${contextDir}`);
  await backend.buildImage({ contextDir, tag: EGRESS_PROXY_IMAGE, buildArgs, labels: { [LABEL_DRIVER_DIGEST]: digest }, onProgress });
}

/** The proxy's settings and allow list, placed before it starts; only `clients` (the session network) may use it. */
export function egressProxyFiles(hosts: readonly string[], clients: string | null): ContainerFile[] {
  const file = (path: string, content: string): ContainerFile => ({ path, content, mode: 0o444, uid: 0, gid: 0 });
  return [file(CONFIG_FILE, proxyConfig({ port: PROXY_PORT, clients, filterFile: FILTER_FILE })), file(FILTER_FILE, proxyFilter(hosts))];
}

/**
 * What makes a session (and its MCP sidecars) use the proxy: the variables curl, git, npm,
 * pip and node tools read, and for ssh (git over ssh) a ProxyCommand through it. Names on
 * the session's own network are reached directly.
 */
export function proxyEnv(direct: readonly string[]): Record<string, string> {
  const noProxy = ['localhost', '127.0.0.1', '::1', ...direct].join(',');
  return { HTTP_PROXY: PROXY_URL, HTTPS_PROXY: PROXY_URL, http_proxy: PROXY_URL, https_proxy: PROXY_URL, NO_PROXY: noProxy, no_proxy: noProxy };
}

/** `~/.ssh/config` of a session behind the proxy: ssh goes through it (CONNECT), so git over ssh works for allowed hosts. */
export function proxiedSshConfig(): ContainerFile {
  const content = `# Written by mai: this session reaches the outside only through its egress proxy.\nHost *\n  ProxyCommand socat - PROXY:${PROXY_HOST}:%h:%p,proxyport=${PROXY_PORT}\n`;
  return { path: '/home/mai/.ssh/config', content, mode: 0o600, uid: SESSION_USER_ID, gid: SESSION_USER_ID };
}
