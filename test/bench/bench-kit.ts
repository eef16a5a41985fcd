/**
 * What every benchmark of the suite shares: the mai build under test, timing and
 * statistics, the server process's CPU and memory from /proc, plain Engine API
 * calls for baselines, and the result rows the suite prints and writes as JSON.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { run } from '../helpers/run.js';

/**
 * The mai build measured: this worktree's, or another checkout's (`BENCH_MAI_ROOT`,
 * built with `npm run build`), so "before" and "after" run the very same suite.
 */
export const MAI_ROOT = resolve(process.env.BENCH_MAI_ROOT ?? fileURLToPath(new URL('../..', import.meta.url)));
export const MAI_CLI = join(MAI_ROOT, 'dist', 'cli', 'main.js');
export const DOCKER_SOCKET = '/var/run/docker.sock';
/** The image every session and baseline container runs. */
export const BASE_IMAGE = 'mai/base:latest';
/** Every container the suite makes carries this label, for cleanup after a crash (`docker rm -f $(docker ps -aq --filter label=mai-bench)`). */
export const BENCH_LABEL = 'mai-bench';

/** One row of the result table: mai's figure beside its baseline from the same run. */
export interface Figure {
  name: string;
  unit: string;
  mai: number;
  baseline: number | null;
  baselineName: string;
  /** How the two compare: `ratio` mai/baseline, `diff` mai-baseline. */
  compare: 'ratio' | 'diff' | 'none';
  /** The target for the compared value (or for `mai` itself when compare is none), and which side is good. */
  target?: { value: number; of: 'mai' | 'compared'; better: 'lower' | 'higher' };
  /** Free text: sample sizes, each run, setup cost. */
  note?: string;
}

export function compared(f: Figure): number | null {
  if (f.baseline === null || f.compare === 'none') return null;
  return f.compare === 'ratio' ? f.mai / f.baseline : f.mai - f.baseline;
}

export function targetMet(f: Figure): boolean | null {
  if (!f.target) return null;
  const value = f.target.of === 'mai' ? f.mai : compared(f);
  if (value === null) return null;
  return f.target.better === 'lower' ? value <= f.target.value : value >= f.target.value;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export const median = (values: number[]): number => percentile(values, 50);

/** Runs a command to completion and returns its wall time in ms; a failure throws. */
export async function timed(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const start = performance.now();
  const r = await run(command, args, env ? { env } : {});
  const ms = performance.now() - start;
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return ms;
}

/**
 * Runs a command and reports its wall time and the CPU it and its children used,
 * in ms: bash's `times` prints the children's user and system time last.
 */
export async function timedWithCpu(command: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ wallMs: number; cpuMs: number }> {
  const start = performance.now();
  const r = await run('bash', ['-c', '"$@" > /dev/null; status=$?; times; exit $status', 'timed', command, ...args], env ? { env } : {});
  const wallMs = performance.now() - start;
  if (r.code !== 0) throw new Error(`${command} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  const children = r.stdout.trim().split('\n').pop()!;
  const seconds = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
  return { wallMs, cpuMs: seconds.reduce((a, b) => a + b, 0) * 1000 };
}

const CLOCK_TICKS = 100; // USER_HZ on Linux

/** CPU seconds (user + system) a process has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start after its closing parenthesis.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

/** Resident memory of a process, in KB. */
export function rssKb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

/** One Engine API call on the local socket (the baselines talk to the engine as directly as mai does). */
export function engine(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  return new Promise((resolvePromise, reject) => {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = request(
      { socketPath: DOCKER_SOCKET, method, path, headers: payload ? { 'content-type': 'application/json', 'content-length': payload.length } : {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          const status = res.statusCode ?? 0;
          if (status >= 400) return reject(new Error(`${method} ${path}: ${status} ${text}`));
          resolvePromise({ status, json: text ? (JSON.parse(text) as unknown) : null });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `fn` over `items` with at most `concurrency` at a time; returns each call's wall time in ms. */
export async function inParallel<T>(items: T[], concurrency: number, fn: (item: T, index: number) => Promise<void>): Promise<number[]> {
  const times: number[] = new Array<number>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < items.length; i = next++) {
      const start = performance.now();
      await fn(items[i]!, i);
      times[i] = performance.now() - start;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return times;
}

/** Runs the command and counts its stdout bytes without keeping them; resolves with the byte count. */
export function countOutput(command: string, args: string[]): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (chunk: Buffer) => (bytes += chunk.length));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(bytes) : reject(new Error(`${command}: exit ${code}`))));
  });
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));

export function log(line: string): void {
  process.stderr.write(`bench: ${line}\n`);
}
