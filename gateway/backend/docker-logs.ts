import { PassThrough, type Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import type { LogOptions } from './backend.js';
import { demultiplex } from './docker-stream.js';

/**
 * A container's output as a stream, following or not, never buffered whole in
 * memory (a session's log can be large: one request must not hold it all).
 * dockerode streams `logs` only when following; the engine streams both ways, so
 * the request goes through its modem with `isStream` set. The returned stream
 * owns the engine's: destroying it (a client that went away) closes the request.
 */
export async function containerLogs(docker: Dockerode, id: string, tty: boolean, options: LogOptions): Promise<Readable> {
  const query = { stdout: true, stderr: true, follow: options.follow, tail: options.tail };
  const source = await new Promise<Readable>((resolve, reject) => {
    (docker.modem as ModemDial).dial(
      {
        path: `/containers/${encodeURIComponent(id)}/logs?`,
        method: 'GET',
        isStream: true,
        statusCodes: { 200: true, 404: 'no such container', 500: 'server error' },
        options: query,
      },
      (err, stream) => (err ? reject(err) : resolve(stream as Readable)),
    );
  });
  // A TTY container's log is raw bytes; any other is framed (see docker-stream.ts).
  const out = new PassThrough();
  if (tty) source.pipe(out);
  else demultiplex(source, out, out);
  out.on('close', () => source.destroy());
  return out;
}

/** The one method of docker-modem used here (dockerode types its modem as any). */
interface ModemDial {
  dial(options: object, callback: (err: Error | null, stream?: unknown) => void): void;
}
