import type { Readable } from 'node:stream';
import type { LogOptions } from './backend.js';
import { demultiplex } from './docker-stream.js';
import { queryString, type EngineClient } from './engine-client.js';

/**
 * A container's output as a stream, following or not, never buffered whole in
 * memory (a session's log can be large: one request must not hold it all). The
 * returned stream owns the engine's: destroying it (a client that went away)
 * closes the request.
 */
export async function containerLogs(engine: EngineClient, id: string, tty: boolean, options: LogOptions): Promise<Readable> {
  const query = queryString({ stdout: 1, stderr: 1, follow: options.follow ? 1 : 0, tail: options.tail });
  const source = await engine.stream(`/containers/${encodeURIComponent(id)}/logs${query}`);
  // A TTY container's log is raw bytes; any other is framed (see docker-stream.ts).
  if (tty) return source;
  const { stdout } = demultiplex(source, { merged: true });
  stdout.on('close', () => source.destroy());
  return stdout;
}
