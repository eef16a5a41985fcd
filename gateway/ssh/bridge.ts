import { once } from 'node:events';
import type { Writable } from 'node:stream';
import type { ServerChannel } from 'ssh2';
import type { ExecProcess } from '../backend/backend.js';

/** Counts the bytes a connection carries (for `/metrics`). */
export interface Traffic {
  /** From the client into the session. */
  received(bytes: number): void;
  /** From the session to the client. */
  sent(bytes: number): void;
}

/**
 * Joins an SSH channel to a process in a container until the process exits, and
 * resolves with its exit code once its output has gone out; the caller then
 * `finish`es the channel (RFC 4254 §6.10: exit-status before close). Without a
 * TTY, the client's EOF reaches the process's stdin; with one it must not
 * (Docker would cut the output short). If the channel closes first, the process
 * and everything it started are killed. `running` holds the process while it
 * runs, so the connection can kill it if the client vanishes; `traffic` counts its bytes.
 * A failure to learn the exit code (the engine went away) rejects, with its cause, for
 * the caller to report.
 */
export async function bridgeProcess(
  channel: ServerChannel,
  proc: ExecProcess,
  tty: boolean,
  running: Set<ExecProcess>,
  traffic?: Traffic,
): Promise<number> {
  let exited = false;
  running.add(proc);
  channel.on('close', () => {
    if (!exited) void proc.kill().catch(() => {});
  });
  channel.pipe(proc.stdin, { end: !tty });
  proc.stdout.pipe(channel, { end: false });
  if (!tty) proc.stderr.pipe(channel.stderr, { end: false });
  if (traffic) {
    // Listening beside the pipes: they set the pace, these only count.
    channel.on('data', (chunk: Buffer) => traffic.received(chunk.length));
    proc.stdout.on('data', (chunk: Buffer) => traffic.sent(chunk.length));
    proc.stderr.on('data', (chunk: Buffer) => traffic.sent(chunk.length));
  }
  let code: number;
  try {
    code = await proc.wait();
  } finally {
    exited = true;
    running.delete(proc);
  }
  await drained(channel);
  await drained(channel.stderr);
  return code;
}

/** Sends exit-status, EOF and close, if the client is still there. */
export function finish(channel: ServerChannel, code: number): void {
  if (channel.destroyed || !channel.writable) return;
  channel.exit(code);
  channel.end();
}

/** Ends a channel with why, as one `mai: ...` line on its stderr, and exit status `code`; a channel already gone is left alone. */
export function failChannel(channel: ServerChannel, message: string, eol: string, code: number): void {
  if (channel.writable) channel.stderr.write(`mai: ${message}${eol}`);
  finish(channel, code);
}

/**
 * Waits until everything written to the channel went out (the peer's window may
 * hold it back). A Writable handles writes in order, so the callback of an empty
 * write comes after every earlier chunk; 'drain' would not do, as it fires only
 * after a write that returned false.
 */
async function drained(stream: Writable): Promise<void> {
  if (stream.destroyed || stream.writableEnded) return;
  await Promise.race([new Promise((resolve) => stream.write(Buffer.alloc(0), resolve)), once(stream, 'close')]);
}
