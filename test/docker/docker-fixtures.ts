/**
 * Shared set-up for the tests against the real engine: the base image, labelled
 * test containers, a `docker` CLI runner for independent checks (the tests
 * verify the backend through the engine's own eyes, not through the backend),
 * and clean-up of everything a run created.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { LABEL_DRIVER, LABEL_OWNER, LABEL_SESSION, type ContainerSpec, type ExecProcess } from '../../gateway/backend/backend.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { ensureDriverImage, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { packageRoot } from '../../drivers/package-root.js';
import { join } from 'node:path';

export const BASE_IMAGE = 'mai/base:latest';
export const BASE_CONTEXT = fileURLToPath(new URL('../../drivers/base/', import.meta.url));
/** Every container, image, network and volume of a run carries this label or name part. */
export const TEST_LABEL = 'mai.test';

export function newRunId(): string {
  return randomBytes(4).toString('hex');
}

export function docker(args: string[], input?: string): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    const child = execFile('docker', args, { maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ stdout, stderr, code });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Builds drivers/base as `mai session create` would (with the machine's extra CAs) when missing or stale. */
export async function ensureBaseImage(backend: DockerBackend): Promise<void> {
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
  await ensureDriverImage(backend, catalog, catalog.get('base'), () => {}, hostBuildArgs());
}

export function testSpec(runId: string, name: string, extra: Partial<ContainerSpec> = {}): ContainerSpec {
  return {
    name: `mai-test-${runId}-${name}`,
    image: BASE_IMAGE,
    labels: { [TEST_LABEL]: runId, [LABEL_SESSION]: `${runId}-${name}`, [LABEL_OWNER]: 'tester', [LABEL_DRIVER]: 'base' },
    env: {},
    volumes: [],
    ports: [],
    limits: { cpus: 1, memoryMb: 256, pids: 256 },
    ...extra,
  };
}

/** Creates and starts a test container; returns its id. */
export async function startContainer(backend: DockerBackend, spec: ContainerSpec): Promise<string> {
  const id = await backend.create(spec);
  await backend.start(id);
  return id;
}

/** Removes everything a run created (containers with their anonymous volumes, then networks and named volumes). */
export async function cleanUp(runId: string): Promise<void> {
  const ids = (await docker(['ps', '-aq', '--filter', `label=${TEST_LABEL}=${runId}`])).stdout.split('\n').filter(Boolean);
  if (ids.length > 0) await docker(['rm', '-fv', ...ids]);
  const nets = (await docker(['network', 'ls', '-q', '--filter', `name=mai-test-${runId}`])).stdout.split('\n').filter(Boolean);
  if (nets.length > 0) await docker(['network', 'rm', ...nets]);
  const vols = (await docker(['volume', 'ls', '-q', '--filter', `name=mai-test-${runId}`])).stdout.split('\n').filter(Boolean);
  if (vols.length > 0) await docker(['volume', 'rm', '-f', ...vols]);
  const images = (await docker(['images', '-q', '--filter', `label=${TEST_LABEL}=${runId}`])).stdout.split('\n').filter(Boolean);
  if (images.length > 0) await docker(['rmi', '-f', ...new Set(images)]);
}

/** Removes the volumes a driver's `persist` paths made for this test's owner (they outlive sessions by design). */
export async function removePersistVolumes(owner: string): Promise<void> {
  const volumes = (await docker(['volume', 'ls', '-q', '--filter', `name=mai-persist-${owner}-`])).stdout.split('\n').filter(Boolean);
  if (volumes.length) await docker(['volume', 'rm', '-f', ...volumes]);
}

export function collect(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

export interface RunResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a non-TTY command to completion, with optional stdin (then EOF). */
export async function run(backend: DockerBackend, id: string, cmd: string[], opts: { input?: string; user?: string } = {}): Promise<RunResult> {
  const proc = await backend.exec(id, { cmd, tty: false, ...(opts.user ? { user: opts.user } : {}) });
  const out = collect(proc.stdout);
  const err = collect(proc.stderr);
  proc.stdin.end(opts.input ?? '');
  const code = await proc.wait();
  return { stdout: (await out).toString(), stderr: (await err).toString(), code };
}

/** Resolves once `text` has appeared in the stream (which keeps flowing into `sink`). */
export function waitForText(stream: Readable, text: string, sink: Buffer[] = []): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${JSON.stringify(text)}`)), 15_000);
    const onData = (c: Buffer): void => {
      sink.push(c);
      if (Buffer.concat(sink).toString().includes(text)) {
        clearTimeout(timer);
        stream.off('data', onData);
        resolve();
      }
    };
    stream.on('data', onData);
  });
}

/** Command lines of every live (non-zombie) process in the container, read from /proc. */
export async function processList(backend: DockerBackend, id: string): Promise<string[]> {
  const script =
    'for d in /proc/[0-9]*; do s=$(cat $d/stat 2>/dev/null) || continue; st=${s##*) }; ' +
    '[ "${st%% *}" = Z ] && continue; tr "\\0" " " < $d/cmdline 2>/dev/null; echo; done';
  const res = await run(backend, id, ['sh', '-c', script]);
  return res.stdout.split('\n').map((l) => l.trim()).filter(Boolean);
}

export async function waitUntil<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export type { ExecProcess };
