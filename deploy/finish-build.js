// After tsc: the CLI as users run it (dist/cli/main.js, the bin) and its bundle.
//
// Why a bundle, and why CommonJS: Node resolves, reads and compiles each ES module
// on its own, and the CLI's graph is a few hundred files (zod alone is ~100); one
// file is read once, and a CommonJS file can be compiled with V8's code cache
// (Node 20 has no code cache for ES modules), so a command skips most parsing and
// compiling. Measured on `mai session list` (CPU, median of 21): tsc's modules
// 244 ms, an ES module bundle 170 ms, this bundle with its code cache ~115 ms,
// `node -e 0` ~60 ms (README, "Benchmarks").
//
// - dist/cli/main.js: the entry (cli/main.ts with the little it imports): answers
//   --help and --version itself, and runs the bundle for everything else.
// - dist/cli/mai.cjs: cli/run-cli.ts and everything it reaches, command groups
//   included (each still evaluated only when used). Packages with native parts
//   (sqlite3, ssh2) or of some size that few commands use stay in node_modules.
// - dist/cli/mai.cjs.cache: V8's code cache for it, made here by running a command
//   that needs no engine (`mai session list --help`, which loads the config and the
//   session group): a cache made after running holds the functions that ran.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const EXTERNAL = ['sqlite3', 'ssh2', 'cpu-features', 'pg', 'libsodium-wrappers', 'dockerode', 'fastify', '@fastify/*', 'node-forge', '@fluent-org/logger', 'langfuse'];
const common = { absWorkingDir: root, bundle: true, platform: 'node', target: 'node20', minifySyntax: true, logLevel: 'warning' };

await build({ ...common, entryPoints: ['cli/main.ts'], outfile: 'dist/cli/main.js', format: 'esm' });
await build({
  ...common,
  entryPoints: ['cli/run-cli.ts'],
  outfile: 'dist/cli/mai.cjs',
  format: 'cjs',
  external: EXTERNAL,
  // A lazily loaded package is required when first used (all of them ship CommonJS).
  supported: { 'dynamic-import': false },
  // package-root.ts finds mai's folder from its own file's URL.
  define: { 'import.meta.url': '__maiModuleUrl' },
  banner: { js: "const __maiModuleUrl = require('node:url').pathToFileURL(__filename).href;" },
});
chmodSync(join(root, 'dist/cli/main.js'), 0o755);

rmSync(join(root, 'dist/cli/mai.cjs.cache'), { force: true });
const home = mkdtempSync(join(tmpdir(), 'mai-build-'));
try {
  execFileSync(process.execPath, [join(root, 'dist/cli/main.js'), 'session', 'list', '--help'], {
    env: { PATH: process.env.PATH, HOME: home, MAI_CONFIG_DIR: join(home, 'config'), MAI_DATA_DIR: join(home, 'data') },
    stdio: 'ignore',
  });
} finally {
  rmSync(home, { recursive: true, force: true });
}
