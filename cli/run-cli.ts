import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../drivers/package-root.js';
import { describeCause, MaiError, toMaiError } from '../gateway/errors.js';
import type { Env } from '../gateway/config/load-yaml.js';
import { loadCliConfig, resolvePaths } from './cli-config.js';
import type { CliContext } from './context.js';


/** Each group's module is loaded only when used, so `mai --help` stays instant. */
const GROUPS: Record<string, () => Promise<{ run(argv: string[], ctx: CliContext): Promise<number> }>> = {
  session: () => import('./commands/session.js'),
  driver: () => import('./commands/driver.js'),
  stop: () => import('./commands/stop.js'),
  serve: () => import('./commands/serve.js'),
  ca: () => import('./commands/ca.js'),
};

const USAGE = `mai: ephemeral, isolated containers for AI coding agents

Usage:
  mai                                  create a session with the default driver and connect
  mai session create [options]         create a session (--help for options)
  mai session list [--json]            list sessions
  mai session connect ID|NAME          open a terminal in a session
  mai session close ID|NAME... | --all close sessions
  mai session logs ID|NAME [-f]        show a session's output
  mai driver list | info NAME | build NAME
  mai stop                             (inside a session) end this session
  mai serve [--config FILE]            run the SSH gateway and REST API
  mai ca sign --user NAME --pubkey FILE [--ttl 8h]

Global options:
  --data-dir DIR    where local state lives (default ~/.local/share/mai, or MAI_DATA_DIR)
  -h, --help        this help; "mai GROUP --help" for a group
  --version         print the version
`;

interface Globals {
  dataDir?: string;
  remote?: string;
  rest: string[];
}

/** Global flags come before the command word, like `docker --host X ps`. */
function parseGlobals(argv: string[]): Globals {
  const globals: Globals = { rest: [] };
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new MaiError('INPUT_INVALID', `${arg} needs a value`);
      return next;
    };
    if (arg === '--data-dir') globals.dataDir = value();
    else if (arg.startsWith('--data-dir=')) globals.dataDir = arg.slice('--data-dir='.length);
    else if (arg === '-r' || arg === '--remote') globals.remote = value();
    else break;
  }
  globals.rest = argv.slice(i);
  return globals;
}

/** The one catch of the CLI: a MaiError becomes one line and its exit code; nothing else leaks a stack. */
export async function runCli(argv: string[], env: Env): Promise<number> {
  try {
    const globals = parseGlobals(argv);
    const [word, ...rest] = globals.rest;
    if (word === '-h' || word === '--help' || word === 'help') {
      process.stdout.write(USAGE);
      return 0;
    }
    if (word === '--version') {
      const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
      process.stdout.write(`${pkg.version}\n`);
      return 0;
    }
    const config = loadCliConfig(env);
    const ctx: CliContext = {
      env,
      config,
      paths: resolvePaths(env, config, globals.dataDir),
      dataDirFlag: globals.dataDir,
      remote: globals.remote ?? env.MAI_REMOTE,
    };
    if (word === undefined) return (await import('./commands/session.js')).run(['create'], ctx);
    const group = GROUPS[word];
    if (!group) throw new MaiError('INPUT_INVALID', `unknown command "${word}" (see mai --help)`);
    return await (await group()).run(rest, ctx);
  } catch (err) {
    const error = isCacError(err) ? new MaiError('INPUT_INVALID', err.message) : toMaiError(err);
    const detail = error.code === 'INTERNAL' ? `: ${describeCause(err)}` : '';
    process.stderr.write(`mai: ${error.message}${detail} [${error.code}]\n`);
    if (env.MAI_DEBUG && error.cause) process.stderr.write(`${describeCause(error.cause)}\n`);
    return error.exitCode;
  }
}

function isCacError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'CACError';
}
