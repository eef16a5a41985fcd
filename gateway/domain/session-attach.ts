import { finished, Transform, Writable } from 'node:stream';
import type { ExecProcess } from '../backend/backend.js';
import type { Progress } from './driver-builder.js';
import type { Events } from './events.js';
import type { Recorder, Recordings } from './recordings.js';
import type { NoticeTarget, SessionClients } from './session-clients.js';
import { clampTerminal, sanitizeTerm } from './terminal.js';
import type { Actor, SessionRecord } from './types.js';

/**
 * What `watch` runs whatever the driver: a read-only client of the session's tmux
 * (drivers/base/mai-attach). Not the driver's own attach, which could ignore a
 * read-only wish.
 */
export const WATCH_COMMAND = ['mai-attach', '--watch'];

/** What a terminal attach asks for: the terminal's size and type, allowed client variables, who and how. */
export interface AttachOptions {
  cols: number;
  rows: number;
  term: string;
  env?: Record<string, string>;
  /** Who attaches (an admin may join anyone's session); the owner when not given (local mode). */
  by?: Actor;
  /** `watch`: sees everything, types nothing. */
  readOnly?: boolean;
}

export interface AttachParts {
  readonly events: Events;
  readonly clients: SessionClients;
  readonly recordings: Recordings | undefined;
  /** Runs a command in the session (starting it if stopped). */
  exec(session: SessionRecord, cmd: string[], env: Record<string, string>, size: { cols: number; rows: number }, onProgress?: Progress): Promise<ExecProcess>;
}

/**
 * The one terminal attach (SSH -t, the browser, the local CLI, `watch`): the driver's
 * attach command (or the watch command) on a TTY, wrapped so that its output is
 * recorded when recording is on (a notice says so first), a notice can be written into
 * it (the lifecycle's warnings), and it counts as a client of the session. Each attach
 * is one `session.attached` fact, naming who attached: the audit trail of joins.
 */
export async function attachTerminal(
  parts: AttachParts,
  session: SessionRecord,
  attachCommand: string[],
  options: AttachOptions,
  onProgress: Progress = () => {},
): Promise<ExecProcess> {
  const by = options.by ?? { name: session.owner, admin: false };
  const readOnly = options.readOnly ?? false;
  // Whatever any front end asks for, clamped here.
  const size = { cols: clampTerminal(options.cols, 80), rows: clampTerminal(options.rows, 24) };
  const term = sanitizeTerm(options.term);
  const recordings = parts.recordings?.settings.enabled ? parts.recordings : undefined;
  if (recordings) {
    const what = recordings.settings.input ? 'output and keystrokes' : 'output';
    onProgress(`mai: this terminal is recorded (${what}); see: mai session recordings ${session.name}`);
  }
  // mai-attach names who joined in the notice it shows the session's other terminals.
  const env = { ...options.env, TERM: term, MAI_ATTACH_USER: by.name };
  const proc = await parts.exec(session, readOnly ? WATCH_COMMAND : attachCommand, env, size, onProgress);
  const recorder = recordings?.begin(session, by.name, { ...size, term }) ?? null;
  const terminal = new AttachedTerminal(proc, recorder);
  parts.clients.track(session.id, terminal, terminal);
  parts.events.emit('session.attached', {
    session: session.id,
    owner: session.owner,
    by: by.name,
    via: by.via,
    readOnly,
    recording: recorder?.n ?? null,
  });
  return terminal;
}

/**
 * The attached process as front ends see it: the same process, its output passed
 * through a tap (recorded, and open to notices), its keystrokes and resizes recorded.
 */
class AttachedTerminal implements ExecProcess, NoticeTarget {
  readonly stdout: Transform;
  readonly stdin: Writable;

  constructor(
    private readonly proc: ExecProcess,
    private readonly recorder: Recorder | null,
  ) {
    this.stdout = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        recorder?.output(chunk);
        callback(null, chunk);
      },
    });
    proc.stdout.pipe(this.stdout);
    // Closed once everything that passed through is recorded.
    if (recorder) finished(this.stdout, () => void recorder.close());
    this.stdin = recorder
      ? new Writable({
          write(chunk: Buffer, _encoding, callback) {
            recorder.input(chunk);
            proc.stdin.write(chunk, () => callback());
          },
          final(callback) {
            proc.stdin.end();
            callback();
          },
        })
      : proc.stdin;
  }

  get id(): string {
    return this.proc.id;
  }

  get stderr() {
    return this.proc.stderr;
  }

  /** A line on the terminal, on a line of its own (recorded like any output). */
  notify(line: string): void {
    if (!this.stdout.writableEnded) this.stdout.write(Buffer.from(`\r\n${line}\r\n`));
  }

  resize(cols: number, rows: number): Promise<void> {
    this.recorder?.resize(clampTerminal(cols, 80), clampTerminal(rows, 24));
    return this.proc.resize(cols, rows);
  }

  signal(name: string): Promise<void> {
    return this.proc.signal(name);
  }

  kill(): Promise<void> {
    return this.proc.kill();
  }

  wait(): Promise<number> {
    return this.proc.wait();
  }
}
