import { readdir } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { MaiError } from '../errors.js';
import type { BuildOptions } from './backend.js';
import { engineMessage, toDockerError } from './docker-errors.js';

/** One line of the engine's JSON build progress (`POST /build`). */
interface ProgressMessage {
  stream?: string;
  status?: string;
  progress?: string;
  id?: string;
  error?: string;
  errorDetail?: { message?: string };
}

/**
 * Builds an image from a directory. The engine reports a failed step inside a
 * 200 response, as an `error` line of the progress stream, so success means:
 * the stream ended and carried no error.
 */
export async function buildImage(docker: Dockerode, options: BuildOptions, socketPath: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(options.contextDir);
  } catch (err) {
    throw new MaiError('DRIVER_BUILD_FAILED', `cannot read build context ${options.contextDir}`, { cause: err });
  }
  let stream: Readable;
  try {
    // dockerode tars `src` (directories recursively) and honours .dockerignore.
    stream = (await docker.buildImage(
      { context: options.contextDir, src: entries },
      {
        t: options.tag,
        ...(options.dockerfile ? { dockerfile: options.dockerfile } : {}),
        ...(options.buildArgs ? { buildargs: options.buildArgs } : {}),
        ...(options.labels ? { labels: options.labels } : {}),
        rm: true,
        forcerm: true,
      },
    )) as Readable;
  } catch (err) {
    const mapped = toDockerError(err, socketPath);
    if (mapped.code === 'DOCKER_UNAVAILABLE') throw mapped;
    throw new MaiError('DRIVER_BUILD_FAILED', `build of ${options.tag} failed: ${engineMessage(err)}`, { cause: err });
  }

  const failure = await readProgress(stream, options.onProgress);
  if (failure !== null) {
    throw new MaiError('DRIVER_BUILD_FAILED', `build of ${options.tag} failed: ${failure}`);
  }
}

/** Reads newline-delimited JSON progress; resolves with the engine's error message, or null. */
function readProgress(stream: Readable, onProgress?: (line: string) => void): Promise<string | null> {
  return new Promise((resolve, reject) => {
    let pending = '';
    let failure: string | null = null;
    const handle = (line: string): void => {
      if (line.trim() === '') return;
      let msg: ProgressMessage;
      try {
        msg = JSON.parse(line) as ProgressMessage;
      } catch {
        onProgress?.(line);
        return;
      }
      if (msg.error !== undefined || msg.errorDetail?.message !== undefined) {
        failure ??= (msg.errorDetail?.message ?? msg.error ?? 'unknown error').trim();
        return;
      }
      const text = msg.stream ?? (msg.status !== undefined ? [msg.id, msg.status, msg.progress].filter(Boolean).join(' ') : undefined);
      if (text === undefined || onProgress === undefined) return;
      for (const part of text.split('\n')) if (part.trim() !== '') onProgress(part.replace(/\r$/, ''));
    };
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        handle(pending.slice(0, nl));
        pending = pending.slice(nl + 1);
      }
    });
    stream.on('end', () => {
      handle(pending);
      resolve(failure);
    });
    stream.on('error', (err) => reject(new MaiError('DRIVER_BUILD_FAILED', 'build output stream failed', { cause: err })));
  });
}
