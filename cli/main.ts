#!/usr/bin/env node
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';
import { answerAtOnce, parseGlobals } from './cli-args.js';

/*
 * The `mai` entry. `--help` and `--version` are answered from this file alone.
 * Every other command runs the CLI bundle (`mai.cjs`, every module of mai and of
 * the pure-JS packages it needs in one file; see deploy/finish-build.js), compiled
 * with V8's code cache (`mai.cjs.cache`) when there is a good one: parsing and
 * compiling the CLI's ~1.4 MB of JavaScript is most of what a command costs
 * before it does anything. The cache is made at build time and made again here,
 * after the command, whenever V8 refused it (another node version); a folder we
 * may not write to only means no cache.
 */

const argv = process.argv.slice(2);
const answered = answerAtOnce(parseGlobals(argv));
if (answered !== null) process.exit(answered);

const here = dirname(fileURLToPath(import.meta.url));
const bundle = join(here, 'mai.cjs');
const cacheFile = `${bundle}.cache`;
let cachedData: Buffer | undefined;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  // No cache yet: compiled from source, and the cache written below.
}
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, ...(cachedData ? { cachedData } : {}) });
const cli = { exports: {} as { runCli(argv: string[], env: NodeJS.ProcessEnv): Promise<number> } };
(script.runInThisContext() as (...args: unknown[]) => void)(cli.exports, createRequire(bundle), cli, bundle, here);

const code = await cli.exports.runCli(argv, process.env);
if (!cachedData || script.cachedDataRejected) {
  try {
    // Whole or not at all: another mai may be reading it.
    writeFileSync(`${cacheFile}.${process.pid}`, script.createCachedData());
    renameSync(`${cacheFile}.${process.pid}`, cacheFile);
  } catch {
    // Read-only install: no cache, only slower.
  }
}
// Exit explicitly: idle Docker keep-alive sockets must not hold the process open.
// stdout/stderr are synchronous for files, pipes and terminals on Linux, so nothing is lost.
process.exit(code);
