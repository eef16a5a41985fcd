import type { Readable, Writable } from 'node:stream';

/*
 * Docker's multiplexed stream (non-TTY attach, exec and logs), a sequence of
 * frames:
 *   offset size field
 *        0    1 stream type (0 stdin, 1 stdout, 2 stderr)
 *        1    3 zero
 *        4    4 payload size (uint32, big-endian)
 *        8    n payload
 * Frames do not line up with the chunks a socket delivers, so the parser keeps
 * a remainder between chunks.
 */
const HEADER_SIZE = 8;

/** Incremental frame parser: feed it chunks, get (stream, payload) pairs (views into the chunks). */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  push(chunk: Buffer, onFrame: (stream: number, payload: Buffer) => void): void {
    let buf = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= HEADER_SIZE) {
      const size = buf.readUInt32BE(4);
      if (buf.length < HEADER_SIZE + size) break;
      const stream = buf[0] ?? 1;
      onFrame(stream, buf.subarray(HEADER_SIZE, HEADER_SIZE + size));
      buf = buf.subarray(HEADER_SIZE + size);
    }
    // Copy the remainder so a large socket chunk is not kept alive by a tail.
    this.pending = Buffer.from(buf);
  }
}

/**
 * Splits a multiplexed stream into `stdout` and `stderr` (which may be the same
 * stream, to merge them in order), honouring back-pressure from both, and ends
 * them when the source ends. `onEnd` runs once, after the last frame.
 */
export function demultiplex(source: Readable, stdout: Writable, stderr: Writable, onEnd?: (err?: Error) => void): void {
  const parser = new FrameParser();
  let waiting = 0;
  let finished = false;
  const resumeWhenDrained = (): void => {
    waiting--;
    if (waiting === 0) source.resume();
  };
  const finish = (err?: Error): void => {
    if (finished) return;
    finished = true;
    stdout.end();
    if (stderr !== stdout) stderr.end();
    onEnd?.(err);
  };
  source.on('data', (chunk: Buffer) => {
    parser.push(chunk, (type, payload) => {
      const target = type === 2 ? stderr : stdout;
      // A view, not a copy: socket chunks are fresh buffers, never reused, and
      // the parser copies only the tail it keeps. One copy less per byte matters
      // at hundreds of MB/s.
      if (!target.write(payload)) {
        waiting++;
        source.pause();
        target.once('drain', resumeWhenDrained);
      }
    });
  });
  source.on('end', () => finish());
  source.on('close', () => finish());
  source.on('error', (err: Error) => finish(err));
}

/** Parses a complete multiplexed buffer (non-following logs) into one merged buffer. */
export function mergeFrames(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  new FrameParser().push(data, (_type, payload) => parts.push(Buffer.from(payload)));
  return Buffer.concat(parts);
}
