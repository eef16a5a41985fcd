/**
 * Benchmark: the SSH gateway against `docker exec`, measured in one run on one
 * session container, printed as ratios.
 *   latency:    median of `ssh gw SESSION true` vs `docker exec CONTAINER true`
 *   throughput: 200 MB of output through the gateway vs through `docker exec`
 * Targets (issue 3): median overhead <= 40 ms; throughput >= 60% of docker exec.
 * The gateway is the built `mai serve` in its own process, as operators run it,
 * so this script's own work (spawning, counting bytes) never shares its event loop.
 * Run: npm run bench  (needs Docker and the base image, like the tests).
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { run } from '../helpers/run.js';
import { ServeProcess } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/tmp.js';

const LATENCY_RUNS = Number(process.env.BENCH_RUNS ?? 31);
const BYTES = 200 * 1000 * 1000;
const THROUGHPUT_RUNS = Number(process.env.BENCH_THROUGHPUT_RUNS ?? 7);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function timed(command: string, args: string[]): Promise<number> {
  const start = performance.now();
  const r = await run(command, args);
  if (r.code !== 0) throw new Error(`${command} failed (${r.code}): ${r.stderr}`);
  return performance.now() - start;
}

/** Runs the command, counts its stdout bytes without keeping them, returns MB/s. */
function throughput(command: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 || bytes !== BYTES) return reject(new Error(`${command}: exit ${code}, ${bytes} bytes`));
      resolve(BYTES / 1e6 / ((performance.now() - start) / 1000));
    });
  });
}

async function main(): Promise<void> {
  const dir = tempDir('mai-bench-');
  const serve = new ServeProcess(dir.path);
  let close = async () => {};
  try {
    await serve.start();
    const alice = await serve.user('alice');
    const created = await serve.ssh(alice, ['new', '--name', 'bench']);
    if (created.code !== 0) throw new Error(created.stderr);
    const sessionId = created.stdout.trim();
    close = async () => void (await serve.ssh(alice, ['close', sessionId]));
    const container = `mai-${sessionId}`;
    type Command = [string, string[]];
    const ssh = (command: string[]): Command => ['ssh', [...serve.sshOptions(alice), 'alice@127.0.0.1', 'bench', ...command]];
    const docker = (command: string[]): Command => ['docker', ['exec', container, ...command]];

    // Warm both paths (image pages, connection setup) before measuring; interleave so drift hits both alike.
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
    const sshMedian = median(viaSsh);
    const dockerMedian = median(viaDocker);
    const overhead = sshMedian - dockerMedian;

    const produce = ['head', '-c', String(BYTES), '/dev/zero'];
    // One untimed transfer each: a long-running gateway has its bulk path compiled (JIT) already.
    await throughput(...ssh(produce));
    await throughput(...docker(produce));
    const sshRates: number[] = [];
    const dockerRates: number[] = [];
    for (let i = 0; i < THROUGHPUT_RUNS; i++) {
      sshRates.push(await throughput(...ssh(produce)));
      dockerRates.push(await throughput(...docker(produce)));
    }
    const sshRate = median(sshRates);
    const dockerRate = median(dockerRates);
    const share = sshRate / dockerRate;

    const ms = (n: number) => `${n.toFixed(1)} ms`;
    console.log(`latency (median of ${LATENCY_RUNS}): ssh gateway ${ms(sshMedian)}, docker exec ${ms(dockerMedian)}`);
    console.log(`  ratio ssh/docker = ${(sshMedian / dockerMedian).toFixed(2)}, overhead = ${ms(overhead)} (target <= 40 ms: ${overhead <= 40 ? 'met' : 'MISSED'})`);
    console.log(`throughput (200 MB, median of ${THROUGHPUT_RUNS}): ssh gateway ${sshRate.toFixed(0)} MB/s, docker exec ${dockerRate.toFixed(0)} MB/s`);
    console.log(`  ratio ssh/docker = ${share.toFixed(2)} (target >= 0.60: ${share >= 0.6 ? 'met' : 'MISSED'})`);
    const list = (rates: number[]) => rates.map((r) => r.toFixed(0)).join(' ');
    console.log(`  runs, MB/s: ssh gateway ${list(sshRates)}; docker exec ${list(dockerRates)}`);
  } finally {
    await close();
    serve.kill('SIGTERM');
    dir.remove();
  }
}

await main();
