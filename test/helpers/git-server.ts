/**
 * The test git server (test/projects/git-server: sshd with key auth for user `git`,
 * apache with HTTPS + basic auth + git-http-backend), in a container on a network the
 * caller created, reachable there by its aliases.
 */
import { fileURLToPath } from 'node:url';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { docker, ensureBaseImage, TEST_LABEL } from '../docker/docker-fixtures.js';
import { eventually } from './run.js';

export const GIT_SERVER_IMAGE = 'mai-test/gitserver:latest';
const GIT_SERVER_CONTEXT = fileURLToPath(new URL('../projects/git-server/', import.meta.url));

export interface GitServerOptions {
  runId: string;
  network: string;
  /** Names it answers to on the network (the first is its TLS certificate's). */
  hosts: string[];
  /** The one public key sshd accepts for user git. */
  authorizedKey: string;
  /** The https password of user x-access-token. */
  token?: string;
}

/** Builds the image when missing, starts the server, waits until it is ready; returns the container's name. */
export async function startGitServer(options: GitServerOptions): Promise<string> {
  const backend = new DockerBackend({});
  await ensureBaseImage(backend);
  if (!(await backend.imageExists(GIT_SERVER_IMAGE))) await backend.buildImage({ contextDir: GIT_SERVER_CONTEXT, tag: GIT_SERVER_IMAGE });
  const name = `mai-test-${options.runId}-git`;
  const started = await docker([
    'run', '-d', '--name', name, '--label', `${TEST_LABEL}=${options.runId}`, '--network', options.network,
    ...options.hosts.flatMap((host) => ['--network-alias', host]),
    '-e', `AUTHORIZED_KEY=${options.authorizedKey.trim()}`, '-e', `TOKEN=${options.token ?? 'unused-token'}`, '-e', `HOSTNAMES=${options.hosts.join(' ')}`,
    GIT_SERVER_IMAGE,
  ]);
  assert.is(started.code, 0, started.stderr);
  await eventually(async () => (await docker(['logs', name])).stdout.includes('gitserver-ready'), 60_000, 'the git server');
  return name;
}
