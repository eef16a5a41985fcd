/**
 * `npm run bench`: mai's figures at team scale, each beside a baseline measured
 * in the same run, printed as a table and written as JSON (`BENCH_JSON`, default
 * ./bench-result.json). Never part of `npm test`: numbers on a shared machine
 * are noisy, so run it several times and compare runs, not single figures.
 *
 * Order: the local CLI first (few containers on the engine), then one server
 * with one session (exec, throughput, keystroke echo, idle connections), then a
 * second server with 1,000 sessions (listing, close). Everything made is removed.
 *
 * BENCH_MAI_ROOT measures another checkout's build with this same suite
 * (e.g. the main branch's, for a before/after comparison).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { run } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';
import { BASE_IMAGE, compared, fmt, log, MAI_ROOT, targetMet, type Figure } from './bench-kit.js';
import { BenchServer, userName } from './bench-server.js';
import { cliFigures } from './cli-bench.js';
import { execFigures } from './exec-bench.js';
import { idleFigures } from './idle-bench.js';
import { listingFigures } from './listing-bench.js';
import { wrkAvailable } from './http-load.js';

const NETWORK = 'mai-bench';
/** Which parts to run (comma-separated: cli, exec, idle, listing); all by default. */
const ONLY = new Set((process.env.BENCH_ONLY ?? 'cli,exec,idle,listing').split(','));

async function sessionServerFigures(dir: string): Promise<Figure[]> {
  const server = new BenchServer(dir, 1, NETWORK);
  await server.start();
  const user = await server.sshUser(userName(0));
  let sessionId = '';
  try {
    const created = await run('ssh', server.sshArgs(user, ['new', '--name', 'bench']), { timeoutMs: 600_000 });
    if (created.code !== 0) throw new Error(`ssh new: ${created.stderr}`);
    sessionId = created.stdout.trim();
    return [
      ...(ONLY.has('exec') ? await execFigures(server, user, sessionId) : []),
      ...(ONLY.has('idle') ? await idleFigures(server, user, sessionId) : []),
    ];
  } finally {
    if (sessionId) await run('ssh', server.sshArgs(user, ['close', sessionId]));
    await server.stop();
  }
}

function table(figures: Figure[]): string {
  const rows = figures.map((f) => {
    const c = compared(f);
    const met = targetMet(f);
    const target = f.target ? `${f.target.better === 'lower' ? '<=' : '>='} ${f.target.value}${f.target.of === 'compared' ? (f.compare === 'ratio' ? 'x' : ' diff') : ''}` : '';
    return [
      f.name,
      `${fmt(f.mai)} ${f.unit}`,
      f.baseline === null ? '-' : `${fmt(f.baseline)} ${f.unit} (${f.baselineName})`,
      c === null ? '-' : f.compare === 'ratio' ? `${fmt(c, 2)}x` : `${c >= 0 ? '+' : ''}${fmt(c)} ${f.unit}`,
      target,
      met === null ? '' : met ? 'met' : 'MISSED',
    ];
  });
  const head = ['figure', 'mai', 'baseline (same run)', 'mai vs baseline', 'target', ''];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  const notes = figures.filter((f) => f.note).map((f) => `- ${f.name}: ${f.note}`);
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line), '', ...notes, ''].join('\n');
}

async function main(): Promise<void> {
  const image = await run('docker', ['image', 'inspect', BASE_IMAGE]);
  if (image.code !== 0) throw new Error(`${BASE_IMAGE} is missing: build it first (npm test does, or mai driver build base)`);
  if (ONLY.has('listing') && !(await wrkAvailable())) throw new Error('wrk is missing: the listing figures use it as their HTTP client (apt-get install wrk)');
  log(`measuring the build in ${MAI_ROOT}`);
  const dir = tempDir('mai-bench-');
  const figures: Figure[] = [];
  const startedAt = new Date().toISOString();
  try {
    if (ONLY.has('cli')) figures.push(...(await cliFigures(resolve(dir.path, 'cli'), NETWORK)));
    if (ONLY.has('exec') || ONLY.has('idle')) figures.push(...(await sessionServerFigures(resolve(dir.path, 'server'))));
    if (ONLY.has('listing')) figures.push(...(await listingFigures(resolve(dir.path, 'listing'), NETWORK)));
  } finally {
    dir.remove();
  }
  process.stdout.write(`\nmai benchmarks (${MAI_ROOT}, ${startedAt})\n\n${table(figures)}`);
  const out = resolve(process.env.BENCH_JSON ?? 'bench-result.json');
  const json = figures.map((f) => ({ ...f, compared: compared(f), met: targetMet(f) }));
  writeFileSync(out, `${JSON.stringify({ maiRoot: MAI_ROOT, startedAt, figures: json }, null, 2)}\n`);
  log(`written to ${out}`);
}

await main();
