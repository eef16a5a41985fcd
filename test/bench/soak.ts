/**
 * `npm run soak -- [--minutes 10] [--ssh 50] [--rest 20]`: the built `mai serve` under
 * steady load for a while, never part of `npm test`.
 *
 *   SSH:  50 clients (real OpenSSH), 5 per user in 10 users' sessions, each running
 *         commands in a loop over its own connection (a ControlMaster); one command
 *         in 25 on a fresh connection (handshake and certificate check), one in 10
 *         moving a megabyte of output.
 *   REST: 20 clients (one user each) listing, creating, reading and closing sessions.
 *
 * Prints, every tenth of the run, the operations done and failed so far and the
 * server's RSS and open file descriptors, then the growth of both after warm-up (the
 * first fifth of the run) and the first failures of each kind. Everything it makes is
 * named `soak-RUN-...` and removed at the end: sessions, their containers, its network.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import type { SshUser } from '../helpers/serve-process.js';
import { fmt, median, rssKb } from './bench-kit.js';
import { BenchServer, userName } from './bench-server.js';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const value = i === -1 ? Number(process.env[`SOAK_${name.toUpperCase()}`] ?? fallback) : Number(process.argv[i + 1]);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`--${name}: expected a positive number`);
  return value;
}

const MINUTES = option('minutes', 10);
const SSH_CLIENTS = option('ssh', 50);
const REST_CLIENTS = option('rest', 20);
const SSH_USERS = 10;
const RUN = Math.random().toString(36).slice(2, 8);
const NETWORK = `mai-soak-${RUN}`;
const SAMPLE_MS = 5_000;

type Kind = 'ssh exec' | 'ssh 1 MB' | 'ssh new conn' | 'rest list' | 'rest create' | 'rest get' | 'rest close';
const KINDS: Kind[] = ['ssh exec', 'ssh 1 MB', 'ssh new conn', 'rest list', 'rest create', 'rest get', 'rest close'];
const done = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
const failed = new Map<Kind, number>(KINDS.map((k) => [k, 0]));
const firstFailures = new Map<Kind, string[]>();
/** Every session the run made, by id: none may be left with a container at the end. */
const made = new Set<string>();

/** Runs one operation, counting it as done or failed (with its first few reasons). */
async function count(kind: Kind, op: () => Promise<void>): Promise<void> {
  try {
    await op();
    done.set(kind, done.get(kind)! + 1);
  } catch (err) {
    failed.set(kind, failed.get(kind)! + 1);
    const reasons = firstFailures.get(kind) ?? [];
    if (reasons.length < 5) reasons.push(`${new Date().toISOString().slice(11, 19)} ${err instanceof Error ? err.message : String(err)}`.slice(0, 300));
    firstFailures.set(kind, reasons);
  }
}

interface Sample {
  seconds: number;
  rssMb: number;
  fds: number;
  done: number;
  failed: number;
}

function sample(pid: number, started: number): Sample {
  const sum = (m: Map<Kind, number>) => [...m.values()].reduce((a, b) => a + b, 0);
  return { seconds: (performance.now() - started) / 1000, rssMb: rssKb(pid) / 1024, fds: readdirSync(`/proc/${pid}/fd`).length, done: sum(done), failed: sum(failed) };
}

/** The server's open fds once they stop changing (connections and engine streams of the last operations closing), within 30 s. */
async function settledFds(pid: number): Promise<number> {
  let last = -1;
  for (let i = 0; i < 30; i++) {
    const now = readdirSync(`/proc/${pid}/fd`).length;
    if (now === last) return now;
    last = now;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  return last;
}

/** One SSH client: a master connection of its own, then commands over it until `until`. */
async function sshClient(server: BenchServer, user: SshUser, session: string, index: number, controlDir: string, until: number): Promise<void> {
  const control = ['-o', 'ControlMaster=auto', '-o', `ControlPath=${join(controlDir, `c${index}`)}`, '-o', 'ControlPersist=yes'];
  const ssh = async (command: string[], extra: string[]): Promise<string> => {
    const r = await run('ssh', server.sshArgs(user, [session, ...command], extra), { timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`exit ${r.code}: ${r.stderr.trim().split('\n').at(-1) ?? ''}`);
    return r.stdout;
  };
  for (let n = 0; Date.now() < until; n++) {
    if (n % 25 === 24) {
      await count('ssh new conn', async () => {
        const out = await ssh(['echo', `fresh-${n}`], ['-o', 'ControlPath=none']);
        if (out.trim() !== `fresh-${n}`) throw new Error(`printed ${JSON.stringify(out.slice(0, 100))}`);
      });
    } else if (n % 10 === 9) {
      await count('ssh 1 MB', async () => {
        const out = await ssh(['head', '-c', '1000000', '/dev/zero', '|', 'wc', '-c'], control);
        if (out.trim() !== '1000000') throw new Error(`counted ${JSON.stringify(out.slice(0, 100))}`);
      });
    } else {
      await count('ssh exec', async () => {
        const out = await ssh(['echo', `soak-${index}-${n}`], control);
        if (out.trim() !== `soak-${index}-${n}`) throw new Error(`printed ${JSON.stringify(out.slice(0, 100))}`);
      });
    }
  }
  await run('ssh', server.sshArgs(user, [], [...control, '-O', 'exit']));
}

/** One REST client (its own user): list, create, read, close, until `until`. */
async function restClient(server: BenchServer, user: string, index: number, until: number): Promise<void> {
  for (let n = 0; Date.now() < until; n++) {
    await count('rest list', async () => void (await server.api(user, 'GET', '/sessions')));
    let id = '';
    await count('rest create', async () => {
      const created = await server.api(user, 'POST', '/sessions', { name: `soak-${RUN}-r${index}-${n}` });
      id = (created.json as { id: string }).id;
      made.add(id);
    });
    if (!id) continue;
    await count('rest get', async () => void (await server.api(user, 'GET', `/sessions/${id}`)));
    await count('rest close', async () => void (await server.api(user, 'DELETE', `/sessions/${id}`)));
  }
}

function printTable(samples: Sample[]): void {
  process.stdout.write(`\n${'elapsed'.padStart(8)} ${'ops ok'.padStart(8)} ${'failed'.padStart(7)} ${'RSS MB'.padStart(8)} ${'fds'.padStart(6)}\n`);
  for (const s of samples) {
    process.stdout.write(`${`${fmt(s.seconds / 60)} min`.padStart(8)} ${String(s.done).padStart(8)} ${String(s.failed).padStart(7)} ${fmt(s.rssMb).padStart(8)} ${String(s.fds).padStart(6)}\n`);
  }
}

async function main(): Promise<void> {
  const dir = tempDir('mai-soak-');
  const server = new BenchServer(dir.path, SSH_USERS + REST_CLIENTS, NETWORK);
  const sessions: Array<{ user: SshUser; name: string }> = [];
  const controlDir = join(dir.path, 'ctl');
  await run('mkdir', ['-p', controlDir]);
  try {
    await server.start();
    process.stderr.write(`soak ${RUN}: server pid ${server.pid}; ${SSH_CLIENTS} ssh clients, ${REST_CLIENTS} rest clients, ${MINUTES} min\n`);
    for (let u = 0; u < SSH_USERS; u++) {
      const user = await server.sshUser(userName(u));
      const name = `soak-${RUN}-u${u}`;
      const created = await run('ssh', server.sshArgs(user, ['new', '--name', name]), { timeoutMs: 600_000 });
      if (created.code !== 0) throw new Error(`ssh new ${name}: ${created.stderr}`);
      made.add(created.stdout.trim());
      sessions.push({ user, name });
    }
    const idleBefore = await settledFds(server.pid);
    const started = performance.now();
    const until = Date.now() + MINUTES * 60_000;
    const samples: Sample[] = [sample(server.pid, started)];
    const sampler = setInterval(() => samples.push(sample(server.pid, started)), SAMPLE_MS);
    await Promise.all([
      ...Array.from({ length: SSH_CLIENTS }, (_, i) => sshClient(server, sessions[i % SSH_USERS]!.user, sessions[i % SSH_USERS]!.name, i, controlDir, until)),
      ...Array.from({ length: REST_CLIENTS }, (_, i) => restClient(server, userName(SSH_USERS + i), i, until)),
    ]);
    clearInterval(sampler);
    samples.push(sample(server.pid, started));
    report(samples);
    const idleAfter = await settledFds(server.pid);
    // fetch keeps its HTTP connections open for reuse: those are the soak's own, not the server's to close.
    const kept = await run('ss', ['-Htn', 'state', 'established', `( sport = :${server.httpPort} )`]);
    const keptAlive = kept.stdout.split('\n').filter(Boolean).length;
    process.stdout.write(`open fds with no client connected: ${idleBefore} before the load, ${idleAfter} after it (${keptAlive} of them HTTP keep-alive connections of the soak's REST clients)\n`);
  } finally {
    await cleanUp(server, sessions);
    dir.remove();
  }
}

function report(samples: Sample[]): void {
  const step = Math.max(1, Math.floor(samples.length / 10));
  printTable(samples.filter((_, i) => i % step === 0 || i === samples.length - 1));
  process.stdout.write(`\n${'operation'.padEnd(14)} ${'ok'.padStart(8)} ${'failed'.padStart(7)}\n`);
  for (const kind of KINDS) process.stdout.write(`${kind.padEnd(14)} ${String(done.get(kind)).padStart(8)} ${String(failed.get(kind)).padStart(7)}\n`);
  // After warm-up (the first fifth), the first half of what is left against the second:
  // medians (the level) and peaks (the high water a garbage collection comes down from).
  const end = samples.at(-1)!.seconds;
  const warm = samples.filter((s) => s.seconds >= end / 5);
  const halves = [warm.filter((s) => s.seconds < (end * 3) / 5), warm.filter((s) => s.seconds >= (end * 3) / 5)];
  const growth = (what: string, pick: (s: Sample) => number) => {
    const [first, second] = halves.map((half) => half.map(pick));
    const change = (a: number, b: number) => `${fmt(a)} -> ${fmt(b)} (${b >= a ? '+' : ''}${fmt(((b - a) / a) * 100)}%)`;
    return `${what}: median ${change(median(first!), median(second!))}, peak ${change(Math.max(...first!), Math.max(...second!))}`;
  };
  process.stdout.write(`\nafter warm-up, first half -> second half:\n  ${growth('RSS MB', (s) => s.rssMb)}\n  ${growth('open fds', (s) => s.fds)}\n`);
  for (const [kind, reasons] of firstFailures) process.stdout.write(`\nfirst failures of ${kind}:\n  ${reasons.join('\n  ')}\n`);
}

/** Removes what the run made: its sessions (the SSH users' and any REST one left), then the server and its network. */
async function cleanUp(server: BenchServer, sessions: Array<{ user: SshUser; name: string }>): Promise<void> {
  if (server.httpPort) {
    for (const { user, name } of sessions) await run('ssh', server.sshArgs(user, ['close', name]), { timeoutMs: 120_000 }).catch(() => undefined);
    for (let i = 0; i < REST_CLIENTS; i++) {
      const user = userName(SSH_USERS + i);
      const listed = await server.api(user, 'GET', '/sessions').catch(() => null);
      for (const s of (listed?.json as { sessions?: Array<{ id: string; name: string }> } | null)?.sessions ?? []) {
        if (s.name.startsWith(`soak-${RUN}-`)) await server.api(user, 'DELETE', `/sessions/${s.id}`).catch(() => undefined);
      }
    }
  }
  await server.stop();
  await run('docker', ['network', 'rm', NETWORK]).catch(() => undefined);
  const labelled = await run('docker', ['ps', '-a', '--filter', 'label=mai.session', '--format', '{{.Label "mai.session"}} {{.Names}}']);
  const left = labelled.stdout.split('\n').filter((line) => made.has(line.split(' ')[0]!));
  process.stderr.write(`soak ${RUN}: ${made.size} sessions made, ${left.length ? `containers left behind: ${left.join(', ')}` : 'no container left behind'}\n`);
}

await main();
