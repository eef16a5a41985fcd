import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema, type ServiceConfig } from '../../gateway/config/service-config.js';
import { DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import { driverDigest, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { packageRoot } from '../../drivers/package-root.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { silentLogger, type Logger } from '../../gateway/log.js';
import { run, type RunResult } from './run.js';
import { sshClientOptions, type SshUser } from './serve-process.js';
import { tempDir } from './tmp.js';

export type { SshUser };

/**
 * The operator setting (`drivers: [{name: base, image}]`) that gives the base driver an
 * image tag of its own, named by the digest of drivers/base: other checkouts building
 * their own drivers/base on the same engine retag `mai/base:latest`, never this one.
 * For tests whose sessions need this checkout's in-image helpers.
 */
export function ownBaseDriver(): { name: string; image: string } {
  const catalog = new DriverCatalog(join(packageRoot(), 'drivers'));
  return { name: 'base', image: `mai-test/base:${driverDigest(catalog, catalog.get('base'), hostBuildArgs()).slice(0, 16)}` };
}

/**
 * A driver whose tool is an interactive `bash`, built FROM `ownBaseDriver()`'s image, in
 * a folder under `dir` (the operator's `drivers: [{name, dir}]`): its terminal is the
 * shared tmux session every attach joins, like any driver with a tool.
 */
export function sharedToolDriver(dir: string): { name: string; dir: string } {
  const base = ownBaseDriver();
  const folder = join(dir, 'shared-tool');
  mkdirSync(folder, { recursive: true });
  writeFileSync(
    join(folder, 'mai-driver.yaml'),
    `name: shared-tool\ndescription: bash as the tool, for tests of shared terminals\nversion: 0.1.0\nimage: mai-test/shared-tool:${base.image.split(':')[1]}\nattach: [mai-attach, bash]\n`,
  );
  writeFileSync(join(folder, 'Dockerfile'), `FROM ${base.image}\n`);
  return { name: 'shared-tool', dir: folder };
}

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
      {
        ...this.overrides,
        server: { host: '127.0.0.1', ...(this.overrides.server as object | undefined) },
        ssh: { host: '127.0.0.1', ...ssh },
        logging,
        docker: { network: 'mai-test', ...(this.overrides.docker as object | undefined) },
      },
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
  ssh(
    user: SshUser,
    login: string,
    command: string[],
    options: { input?: string | Buffer; extra?: string[]; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
  ): Promise<RunResult> {
    const args = [...this.sshOptions(user), ...(options.extra ?? []), `${login}@127.0.0.1`, ...command];
    return run('ssh', args, { input: options.input, timeoutMs: options.timeoutMs, ...(options.env ? { env: options.env } : {}) });
  }

  /** Starts ssh and leaves it running (for forwarding and disconnect tests). */
  spawnSsh(user: SshUser, login: string, command: string[], extra: string[] = [], env?: NodeJS.ProcessEnv): ChildProcess {
    return spawn('ssh', [...this.sshOptions(user), ...extra, `${login}@127.0.0.1`, ...command], { stdio: ['pipe', 'pipe', 'pipe'], ...(env ? { env } : {}) });
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
