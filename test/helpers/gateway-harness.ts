import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema, type ServiceConfig } from '../../gateway/config/service-config.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { silentLogger, type Logger } from '../../gateway/log.js';
import { run, type RunResult } from './run.js';
import { sshClientOptions, type SshUser } from './serve-process.js';
import { tempDir } from './tmp.js';

export type { SshUser };

/**
 * A real `mai serve` (in-process) on loopback with its own data dir, a real
 * OpenSSH client set up for it, and users with certificates from its CA.
 * Sessions it creates carry a unique network and are closed by `stop()`.
 */
export class GatewayHarness {
  server!: RunningServer;
  readonly dir = tempDir('mai-gw-');
  readonly auditFile: string;
  /** OpenSSH known_hosts with the gateway's host key pinned for `[127.0.0.1]:PORT`. */
  readonly knownHosts: string;
  private config!: ServiceConfig;

  constructor(
    private readonly overrides: Record<string, unknown> = {},
    /** The server's operational log (default: silent) and its logging providers' retry waits. */
    private readonly options: { log?: Logger; providerBackoff?: { initialMs: number; maxMs: number } } = {},
  ) {
    this.auditFile = join(this.dir.path, 'audit.log');
    this.knownHosts = join(this.dir.path, 'known_hosts');
  }

  get dataDir(): string {
    return join(this.dir.path, 'data');
  }

  async start(sshPort = 0): Promise<this> {
    const ssh = { ...(this.overrides.ssh as object | undefined) };
    const logging = { ...(this.overrides.logging as object | undefined), audit: this.auditFile };
    this.config = validateConfig(
      serviceConfigSchema,
      // Both listeners on loopback: only this machine reaches them, and the API speaks plain HTTP there.
      { ...this.overrides, server: { host: '127.0.0.1' }, ssh: { host: '127.0.0.1', ...ssh }, logging, docker: { network: 'mai-test' } },
      '(test)',
      {},
    );
    const { log = silentLogger, providerBackoff } = this.options;
    this.server = await startServer({ config: this.config, dataDir: this.dataDir, sshPort, httpPort: 0, log, ...(providerBackoff ? { providerBackoff } : {}) });
    writeFileSync(this.knownHosts, `[127.0.0.1]:${this.server.sshPort} ${this.server.hostKeyLine}\n`);
    return this;
  }

  /** Stops and starts the server on the same port and data dir. */
  async restart(): Promise<void> {
    const port = this.server.sshPort;
    await this.server.close(0);
    await this.start(port);
  }

  async user(name: string, ttlSeconds = 3600): Promise<SshUser> {
    const key = join(this.dir.path, `${name}_ed25519`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
    const issued = this.server.ca.issue({ user: name, publicKey: readFileSync(`${key}.pub`, 'utf8'), ttlSeconds });
    const cert = `${key}-cert.pub`;
    writeFileSync(cert, `${issued.certificate}\n`);
    return { name, key, cert };
  }

  /** OpenSSH options that talk to this gateway only, with this user's certificate. */
  sshOptions(user: Pick<SshUser, 'key' | 'cert'>): string[] {
    return sshClientOptions(this.server.sshPort, this.knownHosts, user);
  }

  /** The same options for `scp` and `sftp`, which spell the port `-P`. */
  fileClientOptions(user: Pick<SshUser, 'key' | 'cert'>): string[] {
    const options = this.sshOptions(user);
    const at = options.indexOf('-p');
    return [...options.slice(0, at), '-P', options[at + 1]!, ...options.slice(at + 2)];
  }

  /** `ssh [extra] LOGIN@127.0.0.1 [command...]` with the real client. */
  ssh(user: SshUser, login: string, command: string[], options: { input?: string | Buffer; extra?: string[]; timeoutMs?: number } = {}): Promise<RunResult> {
    const args = [...this.sshOptions(user), ...(options.extra ?? []), `${login}@127.0.0.1`, ...command];
    return run('ssh', args, { input: options.input, timeoutMs: options.timeoutMs });
  }

  /** Starts ssh and leaves it running (for forwarding and disconnect tests). */
  spawnSsh(user: SshUser, login: string, command: string[], extra: string[] = []): ChildProcess {
    return spawn('ssh', [...this.sshOptions(user), ...extra, `${login}@127.0.0.1`, ...command], { stdio: ['pipe', 'pipe', 'pipe'] });
  }

  audit(): Array<Record<string, unknown>> {
    try {
      return readFileSync(this.auditFile, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    } catch {
      return [];
    }
  }

  /** Closes every session of this server, stops it, removes its data. */
  async stop(): Promise<void> {
    if (this.server) {
      const everyone = { name: 'test-cleanup', admin: true };
      for (const session of await this.server.sessions.list(everyone, { all: true })) {
        await this.server.sessions.close(session).catch(() => {});
      }
      await this.server.close(0);
    }
    this.dir.remove();
  }
}
