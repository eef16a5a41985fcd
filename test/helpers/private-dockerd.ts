import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually, run } from './run.js';

/**
 * A Docker engine of this test's own: a second `dockerd` with its own data root,
 * exec root (and so its own containerd), socket and pid file, which the test may
 * stop and start; the shared engine other tests use is never touched. Its default
 * bridge is an interface of its own made here. Two flags are avoided on purpose, as
 * each makes dockerd delete the host's `docker0`, the shared engine's bridge:
 * `--bridge=none`, and `--default-address-pool` (at every start after the first).
 * User networks then come from Docker's usual pools, where libnetwork skips subnets
 * that overlap the host's routes (the shared engine's bridges). No iptables rules
 * (the host's are the shared engine's). Images come in with `load` (nothing can be
 * pulled here).
 * Needs root, dockerd and iproute2; `unavailable()` says why not, for counting as skipped.
 */
export class PrivateDockerd {
  readonly socket: string;
  private child: ChildProcess | null = null;

  /** `dir` must be short: a unix socket path has ~100 bytes. */
  constructor(readonly dir: string = mkdtempSync('/tmp/mai-dkr-')) {
    this.socket = join(dir, 'docker.sock');
  }

  static unavailable(): string | null {
    if (process.getuid?.() !== 0) return 'not root (dockerd needs it)';
    if (!['/usr/bin/dockerd', '/usr/sbin/dockerd', '/usr/local/bin/dockerd'].some((p) => existsSync(p))) return 'no dockerd (apt-get install docker.io)';
    if (!['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].some((p) => existsSync(p))) return 'no ip (apt-get install iproute2)';
    return null;
  }

  /** Its default bridge, made before it starts and deleted with it (at most 15 characters). */
  private get bridge(): string {
    return `maidkr${process.pid % 100_000}`;
  }

  /** Its containers' cgroups go under this name, removed with it. */
  private get cgroupParent(): string {
    return `mai-test-dockerd-${process.pid}`;
  }

  get host(): string {
    return `unix://${this.socket}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the daemon and waits until it answers. */
  async start(): Promise<void> {
    mkdirSync(join(this.dir, 'data'), { recursive: true });
    mkdirSync(join(this.dir, 'exec'), { recursive: true });
    await this.makeBridge();
    // Not the host's /etc/docker/daemon.json: its hosts, data-root or bridge would clash with the flags here.
    writeFileSync(join(this.dir, 'daemon.json'), '{}\n');
    const log = openSync(join(this.dir, 'dockerd.log'), 'a');
    this.child = spawn(
      'dockerd',
      [
        '--config-file', join(this.dir, 'daemon.json'),
        '--data-root', join(this.dir, 'data'),
        '--exec-root', join(this.dir, 'exec'),
        '--pidfile', join(this.dir, 'docker.pid'),
        '--host', this.host,
        '--bridge', this.bridge,
        '--iptables=false',
        '--ip-masq=false',
        '--cgroup-parent', this.cgroupParent,
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log); // the daemon has its own copy
    await eventually(async () => !this.running || (await this.docker(['version', '--format', '{{.Server.Version}}'])).code === 0, 60_000, 'the private dockerd to answer');
    if (!this.running) throw new Error(`private dockerd exited; see ${join(this.dir, 'dockerd.log')}`);
  }

  /** The default bridge, in a range of neither engine's pools (10.232.x.0/24). */
  private async makeBridge(): Promise<void> {
    if ((await run('ip', ['link', 'show', this.bridge])).code === 0) return;
    for (const args of [
      ['link', 'add', this.bridge, 'type', 'bridge'],
      ['addr', 'add', `10.232.${process.pid % 250}.1/24`, 'dev', this.bridge],
      ['link', 'set', this.bridge, 'up'],
    ]) {
      const r = await run('ip', args);
      if (r.code !== 0) throw new Error(`ip ${args.join(' ')} failed: ${r.stderr}`);
    }
  }

  /** Stops the daemon as `systemctl stop docker` does (SIGTERM; it stops its containers) and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }

  /** `docker` against this engine only. */
  docker(args: string[], input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return run('docker', ['-H', this.host, ...args], { timeoutMs: 120_000, ...(input !== undefined ? { input } : {}) });
  }

  /** Copies an image of the shared engine into this one. */
  async loadImage(tag: string): Promise<void> {
    const r = await run('sh', ['-c', `docker save "$1" | docker -H "$2" load`, 'sh', tag, this.host], { timeoutMs: 300_000 });
    if (r.code !== 0) throw new Error(`loading ${tag} into the private dockerd failed: ${r.stderr}`);
  }

  /** Stops the daemon and removes its folder (its containers and images with it). */
  async remove(): Promise<void> {
    if (this.running) {
      // Containers first, then their networks: a network's bridge is a host interface that would outlive the daemon.
      const containers = (await this.docker(['ps', '-aq'])).stdout.split('\n').filter(Boolean);
      if (containers.length > 0) await this.docker(['rm', '-f', ...containers]);
      const networks = (await this.docker(['network', 'ls', '-q', '--filter', 'type=custom'])).stdout.split('\n').filter(Boolean);
      if (networks.length > 0) await this.docker(['network', 'rm', ...networks]);
    }
    await this.stop();
    await run('ip', ['link', 'delete', this.bridge]);
    rmSync(this.dir, { recursive: true, force: true });
    for (const controller of existsSync('/sys/fs/cgroup') ? readdirSync('/sys/fs/cgroup') : []) {
      try {
        rmdirSync(join('/sys/fs/cgroup', controller, this.cgroupParent));
      } catch {
        // not there (cgroup v2, or no container ever ran)
      }
    }
  }
}
