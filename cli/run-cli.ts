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
  project: () => import('./commands/project.js'),
  provider: () => import('./commands/provider.js'),
  mcp: () => import('./commands/mcp.js'),
  stop: () => import('./commands/stop.js'),
  serve: () => import('./commands/serve.js'),
  ca: () => import('./commands/ca.js'),
  remote: () => import('./commands/remote.js'),
  auth: () => import('./commands/auth.js'),
  logout: () => import('./commands/logout.js'),
};

/** `mai [-r NAME] GIT_URL`: the spec's shorthand for creating a session on that project and connecting. */
const GIT_URL = /^(?:(?:https?|ssh|git):\/\/\S+|[\w.-]+@[\w.-]+:\S+|[\w-]+(?:\.[\w-]+)+(?::\d+)?\/\S+)$/;

const USAGE = `mai: ephemeral, isolated containers for AI coding agents

Usage:
  mai                                  create a session with the default driver and connect
  mai GIT_URL [create options]         the same, with that project cloned into /app
  mai session create [options]         create a session (--help for options)
  mai session list [--json]            list sessions
  mai session connect ID|NAME          open a terminal in a session
  mai session close ID|NAME... | --all close sessions
  mai session logs ID|NAME [-f]        show a session's output
  mai driver list | info NAME | build NAME
  mai project add URL --ssh-key PATH | --token TOKEN
                                       store a repository's credentials (encrypted); also: project list | remove URL
  mai provider add NAME --type T [--base-url URL] [--api-key-stdin]
                                       a model provider for --model NAME/MODEL; also: provider list | remove NAME
  mai mcp add NAME --url URL | --image IMAGE --port N | -- COMMAND...
                                       an MCP server for --mcp NAME; also: mcp list | remove NAME
  mai stop                             (inside a session) end this session
  mai serve [--config FILE]            run the SSH gateway and REST API
  mai ca sign --user NAME --pubkey FILE [--ttl 8h]

Remote mode (a server running mai serve):
  mai remote add NAME URL [--default] [--fingerprint SHA256:... | --ca-cert FILE]
                                       remember a server; also: remote list | remove NAME | default [NAME]
  mai -r NAME auth [--device | --token-stdin] [--key FILE]
                                       log in, get an ssh certificate, write an ssh config to Include
  mai -r NAME logout                   revoke the login and its certificates
  mai -r NAME session ...              every session command, on the server

Global options:
  -r, --remote NAME work on a remote (or MAI_REMOTE, or the config's defaultRemote)
  --local           work on local Docker even when a default remote is set
  --data-dir DIR    where local state lives (default ~/.local/share/mai, or MAI_DATA_DIR)
  -h, --help        this help; "mai GROUP --help" for a group
  --version         print the version
`;

interface Globals {
  dataDir?: string;
  remote?: string;
  local?: boolean;
  rest: string[];
}

/**
 * Global flags go anywhere before a `--`, before or after the command word
 * (`mai -r prod session list` and `mai session list -r prod`, as `gh -R`); what is
 * left is the command line of the group.
 */
function parseGlobals(argv: string[]): Globals {
  const globals: Globals = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      globals.rest.push(...argv.slice(i));
      break;
    }
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new MaiError('INPUT_INVALID', `${arg} needs a value`);
      return next;
    };
    if (arg === '--data-dir') globals.dataDir = value();
    else if (arg.startsWith('--data-dir=')) globals.dataDir = arg.slice('--data-dir='.length);
    else if (arg === '-r' || arg === '--remote') globals.remote = value();
    else if (arg.startsWith('--remote=')) globals.remote = arg.slice('--remote='.length);
    else if (arg === '--local') globals.local = true;
    else globals.rest.push(arg);
  }
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
      // An empty MAI_REMOTE means "none", so a script can turn a default remote off.
      remote: globals.local ? undefined : globals.remote ?? (env.MAI_REMOTE === undefined ? config.defaultRemote : env.MAI_REMOTE || undefined),
    };
    // `return await`: a bare `return` of the promise would leave its rejection to escape this catch.
    if (word === undefined) return await (await import('./commands/session.js')).run(['create'], ctx);
    if (GIT_URL.test(word)) return await (await import('./commands/session.js')).run(['create', '--project', word, ...rest], ctx);
    const group = GROUPS[word];
    if (!group) throw new MaiError('INPUT_INVALID', `unknown command "${word}" (see mai --help)`);
    return await (await group()).run(rest, ctx);
  } catch (err) {
    const error = isCacError(err) ? new MaiError('INPUT_INVALID', userFacingFlags(err.message, argv)) : toMaiError(err);
    const detail = error.code === 'INTERNAL' ? `: ${describeCause(err)}` : '';
    process.stderr.write(`mai: ${error.message}${detail} [${error.code}]\n`);
    if (env.MAI_DEBUG && error.cause) process.stderr.write(`${describeCause(error.cause)}\n`);
    return error.exitCode;
  }
}

/**
 * cac names options by their camelCased keys, without a `no-` prefix (`--noSuchFlag`
 * typed as `--no-such-flag` shows as `--suchFlag`); users read what they typed.
 */
function userFacingFlags(message: string, argv: string[]): string {
  const typed = new Map<string, string>();
  const camel = (name: string) => name.replace(/-([a-z0-9])/g, (_all, c: string) => c.toUpperCase());
  for (const arg of argv) {
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=')[0]!;
    typed.set(camel(name), `--${name}`);
    if (name.startsWith('no-')) typed.set(camel(name.slice(3)), `--${name}`);
  }
  return message.replace(/--([a-zA-Z][a-zA-Z0-9]*)/g, (all, key: string) => typed.get(key) ?? all);
}

function isCacError(err: unknown): err is Error {
  return err instanceof Error && err.name === 'CACError';
}
