import { describeCause, MaiError, toMaiError } from '../gateway/errors.js';
import { answerAtOnce, parseGlobals } from './cli-args.js';
import type { Env } from '../gateway/config/load-yaml.js';
import type { CliContext } from './context.js';

/**
 * Each group's module is loaded only when used, and the config (YAML, zod) only
 * past `--help` and `--version`, so those answer at once.
 */
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

/** The one catch of the CLI: a MaiError becomes one line and its exit code; nothing else leaks a stack. */
export async function runCli(argv: string[], env: Env): Promise<number> {
  try {
    const globals = parseGlobals(argv);
    if (globals.missingValue) throw new MaiError('INPUT_INVALID', `${globals.missingValue} needs a value`);
    const answered = answerAtOnce(globals);
    if (answered !== null) return answered;
    const [word, ...rest] = globals.rest;
    const { loadCliConfig, resolvePaths } = await import('./cli-config.js');
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
