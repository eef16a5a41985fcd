import { Readable } from 'node:stream';

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

/**
 * Incremental frame parser: feed it chunks, get (stream, payload) pairs. Payloads
 * are views into the chunks; only a frame split across two chunks is copied, once,
 * to join its halves. (Frames are up to 32 KiB and socket chunks up to 64 KiB, so
 * most chunks end mid-frame: copying every chunk would copy the whole stream.)
 */
export class FrameParser {
  /** The start of a frame that the last chunk ended in the middle of. */
  private pending: Buffer | null = null;

  push(chunk: Buffer, onFrame: (stream: number, payload: Buffer) => void): void {
    let offset = 0;
    if (this.pending) {
      const joined = this.completePending(chunk);
      if (!joined) return;
      onFrame(joined.frame[0] ?? 1, joined.frame.subarray(HEADER_SIZE));
      offset = joined.used;
    }
    while (chunk.length - offset >= HEADER_SIZE) {
      const end = offset + HEADER_SIZE + chunk.readUInt32BE(offset + 4);
      if (end > chunk.length) break;
      onFrame(chunk[offset] ?? 1, chunk.subarray(offset + HEADER_SIZE, end));
      offset = end;
    }
    this.pending = offset < chunk.length ? chunk.subarray(offset) : null;
  }

  /** Joins the pending frame start with the bytes of `chunk` that complete it, or keeps waiting. */
  private completePending(chunk: Buffer): { frame: Buffer; used: number } | null {
    const pending = this.pending!;
    const header = pending.length >= HEADER_SIZE ? pending : Buffer.concat([pending, chunk.subarray(0, HEADER_SIZE)]);
    if (header.length < HEADER_SIZE) {
      this.pending = Buffer.concat([pending, chunk]);
      return null;
    }
    const used = HEADER_SIZE + header.readUInt32BE(4) - pending.length;
    if (used > chunk.length) {
      this.pending = Buffer.concat([pending, chunk]);
      return null;
    }
    this.pending = null;
    return { frame: Buffer.concat([pending, chunk.subarray(0, used)]), used };
  }
}

/** The two outputs of a multiplexed stream; the same stream twice when merged. */
export interface Demultiplexed {
  stdout: Readable;
  stderr: Readable;
}

/**
 * Splits a multiplexed stream into `stdout` and `stderr` (one stream for both,
 * in order, when `merged`), which end when the source ends; `onEnd` runs once,
 * after the last frame. Payloads are pushed straight into the readables (no
 * intermediate writable, no copy): when a reader's buffer is full the source
 * pauses until that reader asks for more. A `raw` source (a TTY: one stream, no
 * frames) goes to `stdout` chunk by chunk, and `stderr` is empty.
 */
export function demultiplex(
  source: Readable,
  options: { merged?: boolean; raw?: boolean; highWaterMark?: number } = {},
  onEnd?: (err?: Error) => void,
): Demultiplexed {
  const parser = new FrameParser();
  // Readers that asked us to wait; the source resumes when none is left.
  const full = new Set<Readable>();
  const reader = (): Readable => {
    const stream: Readable = new Readable({
      highWaterMark: options.highWaterMark,
      read() {
        if (full.delete(stream) && full.size === 0) source.resume();
      },
    });
    return stream;
  };
  const stdout = reader();
  const stderr = options.merged ? stdout : reader();
  if (options.raw && stderr !== stdout) stderr.push(null);
  let finished = false;
  const finish = (err?: Error): void => {
    if (finished) return;
    finished = true;
    stdout.push(null);
    if (stderr !== stdout && !options.raw) stderr.push(null);
    onEnd?.(err);
  };
  const deliver = (target: Readable, payload: Buffer): void => {
    if (target.push(payload) || full.has(target)) return;
    full.add(target);
    source.pause();
  };
  source.on('data', (chunk: Buffer) => {
    if (options.raw) deliver(stdout, chunk);
    else parser.push(chunk, (type, payload) => deliver(type === 2 ? stderr : stdout, payload));
  });
  source.on('end', () => finish());
  source.on('close', () => finish());
  source.on('error', (err: Error) => finish(err));
  return { stdout, stderr };
}
