import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAI_BIN } from './cli.js';
import { freePort } from './free-port.js';
import { eventually, run, type RunResult } from './run.js';

export interface SshUser {
  name: string;
  key: string;
  cert: string;
}

/** OpenSSH options that talk only to the gateway on `port`, with this user's certificate. */
export function sshClientOptions(port: number, knownHosts: string, user: Pick<SshUser, 'key' | 'cert'>): string[] {
  return [
    '-F', '/dev/null',
    '-p', String(port),
    '-i', user.key,
    '-o', `CertificateFile=${user.cert}`,
    '-o', 'IdentitiesOnly=yes',
    '-o', `UserKnownHostsFile=${knownHosts}`,
    '-o', 'StrictHostKeyChecking=yes',
    '-o', 'BatchMode=yes',
    '-o', 'LogLevel=ERROR',
  ];
}

/**
 * The built `mai serve` in its own process, as an operator runs it, in a folder
 * the caller owns (data dir, config, audit log, known_hosts). Users get their
 * certificates from `mai ca sign`. It keeps its SSH port across restarts.
 */
export class ServeProcess {
  readonly dataDir: string;
  readonly auditFile: string;
  private readonly configFile: string;
  private readonly knownHosts: string;
  child: ChildProcess | null = null;
  sshPort = 0;
  /** The REST API's port (plain HTTP where `server.host` is loopback), read from the listening line. */
  httpPort = 0;
  /** What the process wrote on stderr since its last start. */
  stderr = '';

  constructor(
    private readonly dir: string,
    /**
     * `dockerSocket`: the engine it uses (`docker.socket`); `config`: more top-level YAML
     * sections (not docker or logging); `args`: more flags for `mai serve` (`--database-url`).
     */
    private readonly options: { dockerSocket?: string; config?: string; args?: string[] } = {},
  ) {
    this.dataDir = join(dir, 'data');
    this.auditFile = join(dir, 'audit.log');
    this.configFile = join(dir, 'mai-service.yaml');
    this.knownHosts = join(dir, 'known_hosts');
    const socket = options.dockerSocket ? `  socket: ${options.dockerSocket}\n` : '';
    writeFileSync(this.configFile, `docker:\n  network: mai-test\n${socket}logging:\n  audit: ${this.auditFile}\n${options.config ?? ''}`);
  }

  /** Starts `mai serve` and waits for its "listening" line; pins its host key for ssh. */
  async start(): Promise<void> {
    this.sshPort ||= await freePort();
    // `--data-dir` after the command word, as users type it (a global flag goes either side).
    const args = ['serve', '--data-dir', this.dataDir, '--config', this.configFile, '--ssh-port', String(this.sshPort), '--http-port', '0', ...(this.options.args ?? [])];
    // Its JSON log (stdout) is not read here: an undrained pipe would block the server once full.
    const child = spawn(process.execPath, [MAI_BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: this.dir } });
    this.child = child;
    this.stderr = '';
    child.stderr!.on('data', (c: Buffer) => (this.stderr += c.toString()));
    await eventually(async () => this.stderr.includes('mai serve: ssh on port') || child.exitCode !== null, 30_000, 'mai serve to listen');
    if (child.exitCode !== null) throw new Error(`mai serve exited ${child.exitCode}: ${this.stderr}`);
    this.httpPort = Number(/on port \d+, https? on port (\d+)/.exec(this.stderr)?.[1] ?? 0);
    const hostKey = readFileSync(join(this.dataDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
    writeFileSync(this.knownHosts, `[127.0.0.1]:${this.sshPort} ${hostKey}\n`);
  }

  /** `mai ca sign` for a new ed25519 key of this user. */
  async user(name: string): Promise<SshUser & { signed: RunResult }> {
    const key = join(this.dir, name);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const signed = await run(process.execPath, [MAI_BIN, '--data-dir', this.dataDir, 'ca', 'sign', '--user', name, '--pubkey', `${key}.pub`, '--ttl', '1h']);
    const cert = `${key}-cert.pub`;
    writeFileSync(cert, signed.stdout);
    return { name, key, cert, signed };
  }

  sshOptions(user: Pick<SshUser, 'key' | 'cert'>): string[] {
    return sshClientOptions(this.sshPort, this.knownHosts, user);
  }

  ssh(user: SshUser, command: string[], extra: string[] = []): Promise<RunResult> {
    return run('ssh', [...this.sshOptions(user), ...extra, `${user.name}@127.0.0.1`, ...command]);
  }

  /** Kills the process if it still runs (only ours, by its PID). */
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child && this.child.exitCode === null) this.child.kill(signal);
  }
}
