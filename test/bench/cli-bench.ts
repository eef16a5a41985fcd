/**
 * The local CLI, as a user on their own machine runs it:
 *   create: `mai session create --driver base --no-connect` vs `docker run -d` of the same image,
 *           and vs `docker run -d` of the same container (network, init, limits)
 *   start:  `mai --version` and `mai session list` (a few sessions) vs `node -e 0`
 * Runs are interleaved, so that drift on a shared machine hits both sides alike.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../helpers/run.js';
import { BASE_IMAGE, BENCH_LABEL, fmt, log, MAI_CLI, median, timed, timedWithCpu, type Figure } from './bench-kit.js';

const CREATE_RUNS = Number(process.env.BENCH_CREATE_RUNS ?? 7);
const START_RUNS = Number(process.env.BENCH_START_RUNS ?? 21);

export async function cliFigures(dir: string, network: string): Promise<Figure[]> {
  const configDir = join(dir, 'config');
  mkdirSync(configDir, { recursive: true });
  writeFileSync(join(configDir, 'config.yaml'), `docker:\n  network: ${network}\n`);
  const env = { PATH: process.env.PATH, HOME: dir, MAI_CONFIG_DIR: configDir, MAI_DATA_DIR: join(dir, 'data') };
  const mai = (args: string[]) => run(process.execPath, [MAI_CLI, ...args], { env, timeoutMs: 600_000 });
  const dockerRun = ['run', '-d', '--label', BENCH_LABEL, BASE_IMAGE];
  // The same container as mai's: its network (a user-defined bridge), docker-init, limits, no-new-privileges.
  // What the engine itself takes for it is the floor of a create.
  const sameContainer = ['run', '-d', '--label', BENCH_LABEL, '--init', '--network', network, '--cpus', '2', '--memory', '4096m', '--memory-swap', '4096m', '--pids-limit', '1024', '--security-opt', 'no-new-privileges', BASE_IMAGE];
  const containers: string[] = [];
  try {
    log(`create, ${CREATE_RUNS} runs each`);
    // Warm-up: the first create makes the network and the data dir, the first run pages the image in.
    const warm = await mai(['session', 'create', '--driver', 'base', '--no-connect']);
    if (warm.code !== 0) throw new Error(`mai session create: ${warm.stderr}`);
    containers.push((await run('docker', dockerRun)).stdout.trim());
    const viaMai: number[] = [];
    const viaDocker: number[] = [];
    const viaDockerSame: number[] = [];
    const docker = async (args: string[], into: number[]) => {
      const start = performance.now();
      const started = await run('docker', args);
      into.push(performance.now() - start);
      if (started.code !== 0) throw new Error(`docker run: ${started.stderr}`);
      containers.push(started.stdout.trim());
    };
    for (let i = 0; i < CREATE_RUNS; i++) {
      viaMai.push(await timed(process.execPath, [MAI_CLI, 'session', 'create', '--driver', 'base', '--no-connect'], env));
      await docker(dockerRun, viaDocker);
      await docker(sameContainer, viaDockerSame);
    }

    log(`CLI start, ${START_RUNS} runs each`);
    const node: Array<{ wallMs: number; cpuMs: number }> = [];
    const version: Array<{ wallMs: number; cpuMs: number }> = [];
    const list: Array<{ wallMs: number; cpuMs: number }> = [];
    for (let i = 0; i < START_RUNS; i++) {
      node.push(await timedWithCpu(process.execPath, ['-e', '0'], env));
      version.push(await timedWithCpu(process.execPath, [MAI_CLI, '--version'], env));
      list.push(await timedWithCpu(process.execPath, [MAI_CLI, 'session', 'list'], env));
    }
    const wall = (runs: Array<{ wallMs: number }>) => median(runs.map((r) => r.wallMs));
    const cpu = (runs: Array<{ cpuMs: number }>) => median(runs.map((r) => r.cpuMs));
    const startFigure = (command: string, runs: Array<{ wallMs: number; cpuMs: number }>, targetMs: number): Figure => ({
      name: `${command} wall (median)`,
      unit: 'ms',
      mai: wall(runs),
      baseline: wall(node),
      baselineName: 'node -e 0',
      compare: 'diff',
      target: { value: targetMs, of: 'mai', better: 'lower' },
      note: `CPU ${fmt(cpu(runs), 0)} ms vs ${fmt(cpu(node), 0)} ms; ${START_RUNS} runs`,
    });
    const sessions = CREATE_RUNS + 1;
    return [
      {
        name: 'create (median)',
        unit: 'ms',
        mai: median(viaMai),
        baseline: median(viaDocker),
        baselineName: 'docker run -d',
        compare: 'ratio',
        target: { value: 1.3, of: 'compared', better: 'lower' },
        note: `mai session create --driver base --no-connect; ${CREATE_RUNS} runs each: mai ${viaMai.map((v) => fmt(v, 0)).join(' ')}; docker ${viaDocker.map((v) => fmt(v, 0)).join(' ')}`,
      },
      {
        name: 'create vs the same container (median)',
        unit: 'ms',
        mai: median(viaMai),
        baseline: median(viaDockerSame),
        baselineName: 'docker run -d, same network, init, limits',
        compare: 'ratio',
        note: `what the engine itself takes for mai's container: ${viaDockerSame.map((v) => fmt(v, 0)).join(' ')}`,
      },
      startFigure('mai --version', version, 80),
      startFigure(`mai session list (${sessions} sessions)`, list, 150),
    ];
  } finally {
    await mai(['session', 'close', '--all']);
    if (containers.length) await run('docker', ['rm', '-f', ...containers.filter(Boolean)]);
  }
}
