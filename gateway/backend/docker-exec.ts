import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { Writable, type Readable } from 'node:stream';
import { clampTerminal, SIGNAL_NAMES } from '../domain/terminal.js';
import { MaiError } from '../errors.js';
import type { ExecOptions, ExecProcess } from './backend.js';
import { statusCodeOf, toDockerError } from './docker-errors.js';
import { demultiplex } from './docker-stream.js';
import { queryString, type EngineClient } from './engine-client.js';

/** In-image helpers (drivers/base): record the exec's PID, and signal what it started. */
const MAI_EXEC = '/usr/local/bin/mai-exec';
const MAI_KILL = '/usr/local/bin/mai-kill';
const DEFAULT_USER = 'mai';
/** Longest wait for an in-container helper (mai-kill); it normally takes milliseconds. */
const HELPER_TIMEOUT_MS = 10_000;
const OUTPUT_BUFFER = 256 * 1024;

/** `GET /exec/ID/json`, the fields read here. */
interface ExecInspection {
  Running: boolean;
  ExitCode: number | null;
}

/** Creates an exec in the container (`POST /containers/ID/exec`) and attaches to it (`POST /exec/ID/start`, hijacked). */
async function createAndAttach(engine: EngineClient, containerId: string, config: object, tty: boolean): Promise<{ execId: string; socket: Socket }> {
  const { Id } = await engine.json<{ Id: string }>('POST', `/containers/${encodeURIComponent(containerId)}/exec`, config);
  const socket = await engine.upgrade(`/exec/${Id}/start`, { Detach: false, Tty: tty });
  return { execId: Id, socket };
}

async function inspectExec(engine: EngineClient, execId: string): Promise<ExecInspection> {
  return engine.json<ExecInspection>('GET', `/exec/${execId}/json`);
}

/** Starts `options.cmd` behind mai-exec and attaches to it (hijacked connection). */
export async function startExec(engine: EngineClient, containerId: string, options: ExecOptions): Promise<ExecProcess> {
  if (options.cmd.length === 0) throw new MaiError('INPUT_INVALID', 'empty command');
  const execId = randomBytes(12).toString('base64url');
  const env = Object.entries(options.env ?? {}).map(([k, v]) => `${k}=${v}`);
  if (options.tty && options.cols !== undefined && options.rows !== undefined) {
    env.push(`MAI_TTY_COLS=${clampTerminal(options.cols, 80)}`, `MAI_TTY_ROWS=${clampTerminal(options.rows, 24)}`);
  }
  const user = options.user ?? DEFAULT_USER;
  try {
    const config = {
      Cmd: [MAI_EXEC, execId, ...options.cmd],
      AttachStdin: true,
      AttachStdout: true,
      AttachStderr: true,
      Tty: options.tty,
      Env: env,
      User: user,
      ...(options.workdir ? { WorkingDir: options.workdir } : {}),
    };
    const { execId: engineExecId, socket } = await createAndAttach(engine, containerId, config, options.tty);
    return new DockerExecProcess(engine, containerId, engineExecId, execId, user, socket, options.tty);
  } catch (err) {
    throw toDockerError(err, engine.socketPath);
  }
}

class DockerExecProcess implements ExecProcess {
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly stderr: Readable;
  private readonly drained: Promise<void>;
  private exit?: Promise<number>;
  private killing?: Promise<void>;

  constructor(
    private readonly engine: EngineClient,
    private readonly containerId: string,
    /** The engine's id of the exec. */
    private readonly execId: string,
    /** Ours, known to mai-exec and mai-kill inside the container. */
    readonly id: string,
    /**
     * The helpers run as the exec's own user: a same-uid signal needs no
     * privilege, whereas a root exec in a `no-new-privileges` container whose
     * user is not root has no capabilities at all (no CAP_KILL).
     */
    private readonly user: string,
    socket: Socket,
    tty: boolean,
  ) {
    // Errors after the process is gone (EPIPE on a late keystroke) are not the
    // caller's problem; the exit code from exec inspect is what counts.
    socket.on('error', () => {});
    this.stdin = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        if (socket.destroyed || socket.writableEnded) return callback();
        socket.write(chunk, () => callback());
      },
      final(callback) {
        // Without a TTY, half-closing the connection closes the process's
        // stdin and output keeps flowing (`wc -c` works). With a TTY the engine
        // answers a half-close by cutting the output short, and a terminal has
        // no EOF of its own anyway (^D is a byte): just stop writing.
        if (!tty && !socket.destroyed) socket.end();
        callback();
      },
    });
    // Output reaches the reader through one readable per stream, fed with the
    // socket's own chunks (a TTY's raw bytes, or views of the frames' payloads):
    // no copy and no stream in between, each of which would cost every chunk of a
    // bulk transfer. Docker frames are up to 32 KiB: a larger buffer than the
    // 16 KiB default keeps the socket from pausing and resuming on every frame.
    let ended!: () => void;
    this.drained = new Promise<void>((resolve) => (ended = resolve));
    ({ stdout: this.stdout, stderr: this.stderr } = demultiplex(socket, { raw: tty, highWaterMark: OUTPUT_BUFFER }, () => ended()));
  }

  async resize(cols: number, rows: number): Promise<void> {
    try {
      await this.engine.json('POST', `/exec/${this.execId}/resize${queryString({ w: clampTerminal(cols, 80), h: clampTerminal(rows, 24) })}`);
    } catch (err) {
      throw toDockerError(err, this.engine.socketPath);
    }
  }

  async signal(name: string): Promise<void> {
    const sig = name.toUpperCase().replace(/^SIG/, '');
    if (!SIGNAL_NAMES.has(sig)) throw new MaiError('INPUT_INVALID', `unknown signal: ${name}`);
    await this.runHelper([MAI_KILL, this.id, sig]);
  }

  kill(): Promise<void> {
    // Once is enough: mai-kill repeats until the session is empty, then
    // removes the pid file (a second run would wait for it in vain).
    this.killing ??= this.runHelper([MAI_KILL, '--session', this.id, 'KILL']);
    return this.killing;
  }

  wait(): Promise<number> {
    this.exit ??= this.drained.then(() => this.pollExitCode());
    return this.exit;
  }

  /** The exit code is set shortly after the stream ends; poll exec inspect for it. */
  private async pollExitCode(): Promise<number> {
    let delay = 10;
    for (;;) {
      let info: ExecInspection;
      try {
        info = await inspectExec(this.engine, this.execId);
      } catch (err) {
        throw toDockerError(err, this.engine.socketPath);
      }
      if (!info.Running && info.ExitCode !== null && info.ExitCode !== undefined) return info.ExitCode;
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 500);
    }
  }

  /** Runs an in-container helper in a second exec, as the same user, and waits for it. */
  private async runHelper(cmd: string[]): Promise<void> {
    // The helper runs where the session's processes (the agent) can meddle: never wait on it for ever.
    const deadline = Date.now() + HELPER_TIMEOUT_MS;
    const late = () => new MaiError('DOCKER_FAILED', `${cmd[0]} did not finish within ${HELPER_TIMEOUT_MS / 1000} s`);
    try {
      const config = { Cmd: cmd, AttachStdout: true, AttachStderr: true, User: this.user };
      const { execId, socket } = await createAndAttach(this.engine, this.containerId, config, false);
      const chunks: Buffer[] = [];
      const { stdout: output } = demultiplex(socket, { merged: true });
      output.on('data', (c: Buffer) => chunks.push(c));
      let timer: NodeJS.Timeout | undefined;
      const ended = new Promise<void>((resolve) => output.on('end', resolve));
      const timedOut = new Promise<never>((_resolve, reject) => (timer = setTimeout(() => reject(late()), HELPER_TIMEOUT_MS)));
      try {
        await Promise.race([ended, timedOut]);
      } finally {
        clearTimeout(timer);
        socket.destroy();
      }
      let info = await inspectExec(this.engine, execId);
      while (info.Running) {
        if (Date.now() > deadline) throw late();
        await new Promise((r) => setTimeout(r, 10));
        info = await inspectExec(this.engine, execId);
      }
      if (info.ExitCode !== 0) {
        const text = Buffer.concat(chunks).toString('utf8').trim();
        throw new MaiError('DOCKER_FAILED', `${cmd[0]} failed (exit ${info.ExitCode}): ${text}`);
      }
    } catch (err) {
      // A stopped container has no processes left to signal: nothing to do.
      if (statusCodeOf(err) === 409) return;
      throw toDockerError(err, this.engine.socketPath);
    }
  }
}
