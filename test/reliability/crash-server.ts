/**
 * The built `mai serve` in its own process, for the crash tests: one local REST user,
 * a chosen store (SQLite in its data dir, or a PostgreSQL schema), the lease duration,
 * and the environment that arms a crash point (`MAI_CRASH_AT`). Its SIGKILL at a
 * crash point is the process's own; `wait` tells how it ended.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAI_BIN } from '../helpers/cli.js';
import { eventually } from '../helpers/run.js';

export interface CrashServerOptions {
  user: string;
  token: string;
  network: string;
  /** Seconds (`sessions.leaseDuration`). */
  leaseSeconds: number;
  /** PostgreSQL: both the URL and a schema; absent: SQLite in the data dir. */
  database?: { url: string; schema: string };
}

export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

export class CrashServer {
  readonly dataDir: string;
  private readonly configFile: string;
  child: ChildProcess | null = null;
  httpPort = 0;
  stderr = '';

  constructor(
    dir: string,
    private readonly options: CrashServerOptions,
  ) {
    mkdirSync(dir, { recursive: true });
    this.dataDir = join(dir, 'data');
    this.configFile = join(dir, 'mai-service.yaml');
    const db = options.database ? `database:\n  url: ${options.database.url}\n  schema: ${options.database.schema}\n` : '';
    writeFileSync(
      this.configFile,
      [
        `docker:\n  network: ${options.network}`,
        // On loopback the server speaks plain HTTP.
        'server:\n  host: 127.0.0.1',
        `auth:\n  provider: local\n  users:\n    - { name: ${options.user}, token: ${options.token} }`,
        `sessions:\n  leaseDuration: ${options.leaseSeconds}s\n  recording: { enabled: false }`,
        'logging:\n  audit: stderr',
        db,
      ].join('\n'),
    );
  }

  /** Starts it (armed at `crashAt` if given) and waits until it listens. */
  async start(crash: { at?: string; mode?: 'exit' | 'stop' } = {}): Promise<void> {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: this.dataDir };
    if (crash.at) env.MAI_CRASH_AT = crash.at;
    if (crash.mode) env.MAI_CRASH_MODE = crash.mode;
    const args = ['serve', '--data-dir', this.dataDir, '--config', this.configFile, '--ssh-port', '0', '--http-port', '0'];
    // Its JSON log (stdout) is not read: an undrained pipe would block the server once full.
    const child = spawn(process.execPath, [MAI_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    const ports = await eventually(
      async () => / on port \d+, http on port (\d+)/.exec(this.stderr) ?? (child.exitCode !== null || child.signalCode !== null ? ['', '0'] : null),
      300_000,
      'mai serve to listen',
    );
    if (ports[1] === '0') throw new Error(`mai serve ended before listening: ${this.stderr}`);
    this.httpPort = Number(ports[1]);
  }

  /** Resolves with the signal that ended it (SIGKILL at a crash point), or its exit code. */
  async wait(): Promise<NodeJS.Signals | number> {
    const child = this.child!;
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once('exit', resolve));
    return child.signalCode ?? child.exitCode!;
  }

  /** Waits until it has stopped itself at its crash point (SIGSTOP: it lives, frozen). */
  frozen(): Promise<unknown> {
    return eventually(async () => this.stderr.includes('mai: crash point'), 120_000, 'the crash point');
  }

  /** A REST call as the user; a connection the server dropped (it died) is status 0. */
  async api(method: string, path: string, body?: unknown): Promise<ApiAnswer> {
    try {
      const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`, {
        method,
        headers: { authorization: `Bearer ${this.options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
    } catch {
      return { status: 0, body: {} };
    }
  }

  /** SIGTERM (a clean stop), or the given signal; waits for the end. Only ours, by its PID. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill(signal);
    await this.wait();
  }
}
