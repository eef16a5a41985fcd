/**
 * `npm run fuzz -- [CASES] [TARGET...]`: the fuzz targets of test/fuzz, run long.
 *
 *   npm run fuzz                      every target at its long count (key parsers 10^6 each,
 *                                     ssh 10^4 connections per phase, rest 10^4 per route)
 *   npm run fuzz -- 1000000 key       one count for every case loop of the targets named
 *   MAI_FUZZ_CASES=N MAI_FUZZ_SEED=S  the same through the environment (a seed replays a run)
 *
 * TARGET is part of a test file's name (key-parsers, ssh-server, rest-api). The long run also holds the
 * key parsers to their per-case bar (MAI_FUZZ_STRICT: no case over 10 ms), which
 * `npm test` never asserts: timings are not part of the test suite.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const args = process.argv.slice(2);
const cases = args.find((a) => /^\d+$/.test(a));
const targets = args.filter((a) => a !== cases);
const files = readdirSync(here).filter((f) => f.endsWith('.test.ts') && (targets.length === 0 || targets.some((t) => f.includes(t))));
if (files.length === 0) {
  process.stderr.write(`run-fuzz: no fuzz target matches ${targets.join(' ')} (targets: ${readdirSync(here).filter((f) => f.endsWith('.test.ts')).join(', ')})\n`);
  process.exit(2);
}
const pattern = `^(${files.map((f) => f.replace(/\./g, '\\.')).join('|')})$`;
process.stdout.write(`run-fuzz: ${files.join(', ')}${cases ? `, ${cases} cases per loop` : ''}\n`);
const result = spawnSync('npx', ['uvu', '-r', 'tsx', relative(root, here), pattern], {
  cwd: root,
  stdio: 'inherit',
  env: { ...process.env, MAI_FUZZ_LONG: '1', MAI_FUZZ_STRICT: '1', ...(cases ? { MAI_FUZZ_CASES: cases } : {}) },
});
process.exit(result.status ?? 1);
