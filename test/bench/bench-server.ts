/**
 * The `mai serve` under test, in its own process (as operators run it, so the
 * suite's own work never shares its event loop), with local users for REST
 * (bearer tokens) and for ssh (certificates from `mai ca sign`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, run } from '../helpers/run.js';
import { sshClientOptions, type SshUser } from '../helpers/serve-process.js';
import { MAI_CLI } from './bench-kit.js';

export const userName = (i: number): string => `user${String(i).padStart(2, '0')}`;
export const userToken = (name: string): string => `bench-token-${name}-0123456789`;

export class BenchServer {
  readonly dataDir: string;
  readonly network: string;
  private readonly knownHosts: string;
  private child: ChildProcess | null = null;
  sshPort = 0;
  httpPort = 0;

  constructor(
    private readonly dir: string,
    users: number,
    network: string,
  ) {
    mkdirSync(dir, { recursive: true });
    this.dataDir = join(dir, 'data');
    this.knownHosts = join(dir, 'known_hosts');
    this.network = network;
    const list = Array.from({ length: users }, (_, i) => `    - { name: ${userName(i)}, token: ${userToken(userName(i))} }`).join('\n');
    const config = [
      `docker:\n  network: ${network}`,
      // On loopback the server speaks plain HTTP (elsewhere it would make itself a TLS certificate).
      'server:\n  host: 127.0.0.1',
      `auth:\n  provider: local\n  users:\n${list}`,
      `logging:\n  audit: ${join(dir, 'audit.log')}`,
      // The bench opens many connections from one address on purpose, 16 authenticating at once.
      'ssh:\n  failureDelay: { free: 1000000 }\n  maxStartups: { total: 100, perAddress: 100 }',
      '',
    ].join('\n');
    writeFileSync(join(dir, 'mai-service.yaml'), config);
  }

  get pid(): number {
    return this.child!.pid!;
  }

  async start(): Promise<void> {
    const args = ['serve', '--data-dir', this.dataDir, '--config', join(this.dir, 'mai-service.yaml'), '--ssh-port', '0', '--http-port', '0'];
    // BENCH_SERVER_NODE_ARGS: e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server under the bench's load.
    const nodeArgs = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, MAI_CLI, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { PATH: process.env.PATH, HOME: this.dir } });
    this.child = child;
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    const ports = await eventually(
      async () => /mai serve: ssh on port (\d+), https? on port (\d+)/.exec(stderr) ?? (child.exitCode !== null ? ['', '0', '0'] : null),
      600_000,
      'mai serve to listen',
    );
    if (child.exitCode !== null) throw new Error(`mai serve exited ${child.exitCode}: ${stderr}`);
    if (ports[0]?.includes('https')) throw new Error(`mai serve serves HTTPS, the bench speaks HTTP: ${stderr}`);
    this.sshPort = Number(ports[1]);
    this.httpPort = Number(ports[2]);
    const hostKey = readFileSync(join(this.dataDir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
    writeFileSync(this.knownHosts, `[127.0.0.1]:${this.sshPort} ${hostKey}\n`);
  }

  /** A new ed25519 key of `name` and its certificate from the server's CA. */
  async sshUser(name: string): Promise<SshUser> {
    const key = join(this.dir, `${name}_ed25519`);
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    const signed = await run(process.execPath, [MAI_CLI, '--data-dir', this.dataDir, 'ca', 'sign', '--user', name, '--pubkey', `${key}.pub`, '--ttl', '4h']);
    if (signed.code !== 0) throw new Error(`mai ca sign: ${signed.stderr}`);
    writeFileSync(`${key}-cert.pub`, signed.stdout);
    return { name, key, cert: `${key}-cert.pub` };
  }

  sshArgs(user: SshUser, command: string[], extra: string[] = []): string[] {
    return [...sshClientOptions(this.sshPort, this.knownHosts, user), ...extra, `${user.name}@127.0.0.1`, ...command];
  }

  /** A REST call as `user` (a bearer token of the local provider). */
  async api(user: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort}${path}`, {
      method,
      headers: { authorization: `Bearer ${userToken(user)}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    if (res.status >= 400) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, json: text ? (JSON.parse(text) as unknown) : null };
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 30_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}
