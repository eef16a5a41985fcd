import { closeSync, createReadStream, createWriteStream, mkdirSync, openSync, readdirSync, readSync, rmSync, statSync, writeFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { MaiError } from '../errors.js';
import { silentLogger, type Logger } from '../log.js';
import { AsciicastEncoder, headerLine } from './asciicast.js';
import { SESSION_ID } from './ids.js';
import type { SessionRecord } from './types.js';

/** `sessions.recording`, as the domain reads it. */
export interface RecordingSettings {
  readonly enabled: boolean;
  /** Keystrokes too ("i" events). */
  readonly input: boolean;
  /** One recording stops growing at this size. */
  readonly maxBytes: number;
  /** Recordings older than this are deleted by `prune`. */
  readonly retentionSeconds: number;
}

/** One recording, as listed. */
export interface RecordingInfo {
  /** 1, 2, 3, ... per session, in the order they began. */
  n: number;
  /** Who attached. */
  user: string;
  /** ISO 8601. */
  startedAt: string;
  bytes: number;
}

/** File names: `<n>-<user>.cast`; user names are `[a-z0-9_-]`, safe in a name. */
const CAST_FILE = /^(\d{1,9})-([a-z0-9_.-]{1,64})\.cast$/;
const OWNER_FILE = 'owner';

/**
 * One recording being written: an asciicast v2 file that stops growing at the size cap.
 * Writing never blocks or fails the terminal: a write error ends the recording, logged.
 */
export class Recorder {
  private readonly encoder: AsciicastEncoder;
  private readonly file;
  private bytes: number;
  private stopped = false;
  private closing: Promise<void> | null = null;

  constructor(
    readonly n: number,
    fd: number,
    header: string,
    private readonly settings: RecordingSettings,
    private readonly log: Logger,
  ) {
    const started = performance.now();
    this.encoder = new AsciicastEncoder(() => performance.now() - started);
    this.file = createWriteStream('', { fd });
    this.file.on('error', (err: Error) => {
      this.stopped = true;
      this.log.error('recording.write_failed', { n, error: err.message });
    });
    this.bytes = Buffer.byteLength(header);
    this.file.write(header);
  }

  output(chunk: Buffer): void {
    this.write(this.encoder.outputLine(chunk));
  }

  input(chunk: Buffer): void {
    if (this.settings.input) this.write(this.encoder.inputLine(chunk));
  }

  resize(cols: number, rows: number): void {
    this.write(this.encoder.resizeLine(cols, rows));
  }

  /** Flushes and closes the file. Idempotent. */
  close(): Promise<void> {
    this.stopped = true;
    this.closing ??= new Promise<void>((resolve) => this.file.end(() => resolve()));
    return this.closing;
  }

  private write(line: string): void {
    if (this.stopped || line === '') return;
    const size = Buffer.byteLength(line);
    // Whole events only: a line cut at the cap would leave a file asciinema cannot parse.
    if (this.bytes + size > this.settings.maxBytes) {
      this.stopped = true;
      this.log.warn('recording.size_cap', { n: this.n, bytes: this.bytes });
      return;
    }
    this.bytes += size;
    this.file.write(line);
  }
}

/**
 * Terminal recordings in the data dir: `recordings/<session id>/<n>-<user>.cast`, and an
 * `owner` file so that a closed session's recordings keep their owner until their
 * retention ends. Files 0600, folders 0700. Several processes sharing a store each
 * record into their own data dir.
 *
 * Lifecycle: stateless apart from its folder; `prune` is run by the session lifecycle.
 */
export class Recordings {
  constructor(
    private readonly dir: string,
    readonly settings: RecordingSettings,
    private readonly log: Logger = silentLogger,
  ) {}

  /** Starts the next recording of the session, by `user`, at the terminal's size. */
  begin(session: SessionRecord, user: string, terminal: { cols: number; rows: number; term: string }, now = new Date()): Recorder {
    const sessionDir = this.sessionDir(session.id);
    mkdirSync(sessionDir, { recursive: true, mode: 0o700 });
    writeFileSync(join(sessionDir, OWNER_FILE), session.owner, { mode: 0o600 });
    const header = headerLine({
      width: terminal.cols,
      height: terminal.rows,
      startedAt: now,
      title: `mai session ${session.name} (${session.id}), ${user}`,
      env: { TERM: terminal.term, SHELL: '/bin/bash' },
    });
    // The next free number, taken atomically ('wx'): two attaches at once get two files.
    for (let n = this.lastNumber(session.id) + 1; ; n++) {
      try {
        const fd = openSync(join(sessionDir, `${n}-${user}.cast`), 'wx', 0o600);
        return new Recorder(n, fd, header, this.settings, this.log.child({ session: session.id }));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
    }
  }

  /** Who owns the session the recordings belong to; null when there are none. */
  owner(sessionId: string): string | null {
    if (!SESSION_ID.test(sessionId)) return null;
    try {
      return readFileSync(join(this.sessionDir(sessionId), OWNER_FILE), 'utf8');
    } catch {
      return null;
    }
  }

  /** The session's recordings, oldest first. */
  list(sessionId: string): RecordingInfo[] {
    return this.files(sessionId).map(({ n, user, path }) => ({ n, user, startedAt: startOf(path), bytes: statSync(path).size }));
  }

  /** Recording `n` of the session, streamed. */
  open(sessionId: string, n: number): Readable {
    const found = this.files(sessionId).find((f) => f.n === n);
    if (!found) throw new MaiError('RECORDING_NOT_FOUND', `no recording ${n} of session ${sessionId}`);
    return createReadStream(found.path);
  }

  /** Deletes recordings older than the retention (by their last write); returns how many. */
  prune(now = new Date()): number {
    let removed = 0;
    const cutoff = now.getTime() - this.settings.retentionSeconds * 1000;
    for (const sessionId of this.sessionIds()) {
      const files = this.files(sessionId);
      for (const file of files) {
        if (statSync(file.path).mtimeMs >= cutoff) continue;
        rmSync(file.path, { force: true });
        removed++;
      }
      if (this.files(sessionId).length === 0) rmSync(this.sessionDir(sessionId), { recursive: true, force: true });
    }
    return removed;
  }

  private sessionDir(sessionId: string): string {
    return join(this.dir, sessionId);
  }

  private sessionIds(): string[] {
    try {
      return readdirSync(this.dir).filter((name) => SESSION_ID.test(name));
    } catch {
      return [];
    }
  }

  private files(sessionId: string): Array<{ n: number; user: string; path: string }> {
    if (!SESSION_ID.test(sessionId)) return [];
    let names: string[];
    try {
      names = readdirSync(this.sessionDir(sessionId));
    } catch {
      return [];
    }
    return names
      .flatMap((name) => {
        const match = CAST_FILE.exec(name);
        return match ? [{ n: Number(match[1]), user: match[2]!, path: join(this.sessionDir(sessionId), name) }] : [];
      })
      .sort((a, b) => a.n - b.n);
  }

  private lastNumber(sessionId: string): number {
    return Math.max(0, ...this.files(sessionId).map((f) => f.n));
  }
}

/** The start time in a recording's header (its first line). */
function startOf(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const line = buffer.subarray(0, length).toString('utf8').split('\n')[0] ?? '';
    const timestamp = (JSON.parse(line) as { timestamp?: unknown }).timestamp;
    return typeof timestamp === 'number' ? new Date(timestamp * 1000).toISOString() : new Date(statSync(path).mtimeMs).toISOString();
  } catch {
    return new Date(statSync(path).mtimeMs).toISOString();
  } finally {
    closeSync(fd);
  }
}
