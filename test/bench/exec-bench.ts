/**
 * The gateway's paths into a session against `docker exec` into the same
 * container, interleaved so that drift on a shared machine hits both alike:
 *   exec latency:   `ssh gw SESSION true` vs `docker exec C true`
 *   throughput:     200 MB of output, and the gateway's CPU-seconds per GB
 *   keystroke echo: one byte typed on a TTY until its echo is back,
 *                   `ssh -tt gw SESSION cat` vs `docker exec -it C cat`
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { SshUser } from '../helpers/serve-process.js';
import { countOutput, cpuSeconds, fmt, log, median, timed, type Figure } from './bench-kit.js';
import type { BenchServer } from './bench-server.js';

const LATENCY_RUNS = Number(process.env.BENCH_RUNS ?? 31);
const THROUGHPUT_RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 7);
const BYTES = 200 * 1000 * 1000;
const KEYSTROKES = Number(process.env.BENCH_KEYSTROKES ?? 60);

type Command = [string, string[]];

export async function execFigures(server: BenchServer, user: SshUser, sessionId: string): Promise<Figure[]> {
  const container = `mai-${sessionId}`;
  const ssh = (command: string[], extra: string[] = []): Command => ['ssh', server.sshArgs(user, [sessionId, ...command], extra)];
  const docker = (command: string[], flags: string[] = []): Command => ['docker', ['exec', ...flags, container, ...command]];

  log(`exec latency, ${LATENCY_RUNS} runs each`);
  for (let i = 0; i < 3; i++) {
    await timed(...ssh(['true']));
    await timed(...docker(['true']));
  }
  const viaSsh: number[] = [];
  const viaDocker: number[] = [];
  for (let i = 0; i < LATENCY_RUNS; i++) {
    viaSsh.push(await timed(...ssh(['true'])));
    viaDocker.push(await timed(...docker(['true'])));
  }

  log(`throughput, 200 MB x ${THROUGHPUT_RUNS} each`);
  const produce = ['head', '-c', String(BYTES), '/dev/zero'];
  // One untimed transfer each: a long-running gateway has its bulk path compiled (JIT) already.
  await rate(...ssh(produce));
  await rate(...docker(produce));
  const sshRates: number[] = [];
  const dockerRates: number[] = [];
  let gatewayCpu = 0;
  for (let i = 0; i < THROUGHPUT_RUNS; i++) {
    const before = cpuSeconds(server.pid);
    sshRates.push(await rate(...ssh(produce)));
    gatewayCpu += cpuSeconds(server.pid) - before;
    dockerRates.push(await rate(...docker(produce)));
  }
  const cpuPerGb = gatewayCpu / ((THROUGHPUT_RUNS * BYTES) / 1e9);

  log(`keystroke echo, ${KEYSTROKES} keystrokes each`);
  const echoSsh = await keystrokeEcho(...ssh(['cat'], ['-tt']));
  const echoDocker = await keystrokeEcho(...docker(['cat'], ['-it']));

  const list = (values: number[], digits = 0) => values.map((v) => fmt(v, digits)).join(' ');
  return [
    {
      name: 'exec latency (median)',
      unit: 'ms',
      mai: median(viaSsh),
      baseline: median(viaDocker),
      baselineName: 'docker exec',
      compare: 'diff',
      target: { value: 40, of: 'compared', better: 'lower' },
      note: `${LATENCY_RUNS} runs each`,
    },
    {
      name: 'throughput 200 MB (median)',
      unit: 'MB/s',
      mai: median(sshRates),
      baseline: median(dockerRates),
      baselineName: 'docker exec',
      compare: 'ratio',
      target: { value: 0.8, of: 'compared', better: 'higher' },
      note: `runs MB/s: gateway ${list(sshRates)}; docker exec ${list(dockerRates)}`,
    },
    {
      name: 'gateway CPU per GB',
      unit: 'CPU-s/GB',
      mai: cpuPerGb,
      baseline: null,
      baselineName: '-',
      compare: 'none',
      target: { value: 0.8, of: 'mai', better: 'lower' },
      note: `user+system of the serve process over ${THROUGHPUT_RUNS} x 200 MB`,
    },
    {
      name: 'keystroke echo on a TTY (median)',
      unit: 'ms',
      mai: median(echoSsh),
      baseline: median(echoDocker),
      baselineName: 'docker exec -it',
      compare: 'diff',
      target: { value: 5, of: 'compared', better: 'lower' },
      note: `${KEYSTROKES} keystrokes each; p90 ${fmt(percentile90(echoSsh))} vs ${fmt(percentile90(echoDocker))} ms`,
    },
  ];
}

function percentile90(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length * 0.9)]!;
}

async function rate(command: string, args: string[]): Promise<number> {
  const start = performance.now();
  const bytes = await countOutput(command, args);
  if (bytes !== BYTES) throw new Error(`${command}: ${bytes} bytes instead of ${BYTES}`);
  return BYTES / 1e6 / ((performance.now() - start) / 1000);
}

/**
 * Types one byte at a time into a terminal program and times until its echo
 * comes back. Both clients want a terminal on their side: `script` gives each
 * the same pseudo-terminal, so its cost is on both sides of the comparison.
 * The echo comes from the session's own terminal (cat only prints at a newline).
 */
async function keystrokeEcho(command: string, args: string[]): Promise<number[]> {
  const quoted = [command, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const child = spawn('script', ['-qfec', quoted, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let seen = '';
  let waiter: (() => void) | null = null;
  child.stdout.on('data', (chunk: Buffer) => {
    seen += chunk.toString('latin1');
    waiter?.();
  });
  const echoOf = (char: string, timeoutMs: number): Promise<boolean> =>
    new Promise((resolve) => {
      const check = () => {
        if (!seen.includes(char)) return;
        clearTimeout(timer);
        waiter = null;
        resolve(true);
      };
      const timer = setTimeout(() => {
        waiter = null;
        resolve(false);
      }, timeoutMs);
      waiter = check;
      check();
    });
  try {
    // Ready once a typed byte comes back (the remote terminal exists and cat reads).
    let ready = false;
    for (let i = 0; i < 100 && !ready; i++) {
      child.stdin.write('r');
      ready = await echoOf('r', 200);
    }
    if (!ready) throw new Error(`${command}: no echo from the terminal`);
    await new Promise((r) => setTimeout(r, 300));
    const times: number[] = [];
    const keys = 'abcdefghijklmnopqstuvwxyz';
    for (let i = 0; i < KEYSTROKES; i++) {
      const key = keys[i % keys.length]!;
      seen = '';
      const start = performance.now();
      child.stdin.write(key);
      if (!(await echoOf(key, 5000))) throw new Error(`${command}: no echo of "${key}"`);
      times.push(performance.now() - start);
      // A human types a few keys a second; back-to-back keystrokes would measure queueing.
      await new Promise((r) => setTimeout(r, 20));
    }
    return times;
  } finally {
    child.stdin.write('\x04');
    child.kill('SIGKILL');
  }
}
