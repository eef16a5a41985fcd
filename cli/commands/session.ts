import type { CAC } from 'cac';
import type { CreateSessionRequest } from '../../gateway/domain/session-request.js';
import { parseEnvAssignment, parsePort, parseVolume } from '../../gateway/domain/session-request.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { openLocalCore, type LocalCore } from '../local-core.js';
import { sessionTable, sessionView } from '../../gateway/domain/session-view.js';
import { many, runSubcommands } from '../subcommands.js';
import { attachTerminal, terminalSize } from '../terminal.js';

const progress = (line: string) => process.stderr.write(`${line}\n`);

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('session', argv, (cli) => defineSessionCommands(cli, ctx));
}

/** The `session` commands; `mai` with no arguments reuses `create`. */
export function defineSessionCommands(cli: CAC, ctx: CliContext): void {
  cli
    .command('create', 'Create a session and connect to it')
    .option('--driver <name>', 'Driver to run (default from config: base)')
    .option('--name <name>', 'A name to reach the session by')
    .option('-e, --env <KEY=VALUE>', 'Environment variable (repeatable)', { type: [String] })
    .option('-v, --volume <SRC:DST[:ro]>', 'Bind a host path or volume (repeatable)', { type: [String] })
    .option('-p, --port <[HOST:]PORT>', 'Publish a port on 127.0.0.1 (repeatable)', { type: [String] })
    .option('--project <url>', 'Git repository to clone into /app')
    .option('--cpus <n>', 'CPU limit (default 2)')
    .option('--memory <mb>', 'Memory limit in MB (default 4096)')
    .option('--pids <n>', 'Process limit (default 1024)')
    .option('--no-connect', 'Create only; print the id and exit')
    .option('--run <cmd>', 'Run a command in the new session instead of connecting')
    .action((options) => withCore(ctx, (core) => createSession(core, options, ctx)));

  cli
    .command('list', 'List sessions')
    .alias('ls')
    .option('--json', 'Machine-readable output')
    .action((options) => withCore(ctx, (core) => listSessions(core, Boolean(options.json))));

  cli
    .command('connect <session>', 'Open a terminal in a session (id or name)')
    .action((ref: string) => withCore(ctx, async (core) => connect(core, await core.sessions.find(core.actor, ref), ctx)));

  cli
    .command('close [...sessions]', 'Close sessions: container and everything created for it removed')
    .option('--all', 'Close all your sessions')
    .action((refs: string[], options) => withCore(ctx, (core) => closeSessions(core, refs, Boolean(options.all))));

  cli
    .command('logs <session>', 'Show the session container output')
    .option('-f, --follow', 'Keep streaming')
    .action((ref: string, options) =>
      withCore(ctx, async (core) => {
        const session = await core.sessions.find(core.actor, ref);
        const stream = await core.sessions.logs(session, { follow: Boolean(options.follow) });
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject).on('end', resolve);
          stream.pipe(process.stdout, { end: false });
        });
        return 0;
      }),
    );
}

async function withCore(ctx: CliContext, action: (core: LocalCore) => Promise<number>): Promise<number> {
  if (ctx.remote) throw new MaiError('INPUT_INVALID', `remote mode (-r ${ctx.remote}) is not available in this version`);
  const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
  try {
    await core.sessions.reconcile();
    return await action(core);
  } finally {
    await core.close();
  }
}

/** Turns CLI flags into the domain's request; the domain validates it. */
export function createRequestFromFlags(options: Record<string, unknown>): CreateSessionRequest {
  const number = (flag: string) => {
    const value = options[flag];
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isFinite(n)) throw new MaiError('INPUT_INVALID', `--${flag} "${String(value)}": expected a number`);
    return n;
  };
  return {
    driver: options.driver === undefined ? undefined : String(options.driver),
    name: options.name === undefined ? undefined : String(options.name),
    env: Object.fromEntries(many(options.env).map(parseEnvAssignment)),
    volumes: many(options.volume).map(parseVolume),
    ports: many(options.port).map(parsePort),
    projectUrl: options.project === undefined ? undefined : String(options.project),
    limits: { cpus: number('cpus'), memoryMb: number('memory'), pids: number('pids') },
  };
}

export async function createSession(core: LocalCore, options: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const session = await core.sessions.create(core.actor, createRequestFromFlags(options), progress);
  process.stdout.write(`${session.id}\n`);
  if (typeof options.run === 'string') {
    const proc = await core.sessions.exec(session, { cmd: ['bash', '-lc', options.run], tty: false });
    return attachTerminal(proc, false);
  }
  if (options.connect === false) return 0;
  return connect(core, session, ctx);
}

async function connect(core: LocalCore, session: SessionRecord, ctx: CliContext): Promise<number> {
  const tty = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  const proc = await core.sessions.exec(
    session,
    { cmd: core.sessions.attachCommand(session), tty, env: { TERM: ctx.env.TERM ?? 'xterm-256color' }, ...terminalSize() },
    progress,
  );
  const code = await attachTerminal(proc, tty);
  if (await core.sessions.closeIfEnded(session)) progress(`session ${session.id} ended`);
  return code;
}

async function listSessions(core: LocalCore, json: boolean): Promise<number> {
  const sessions = await core.sessions.list(core.actor);
  const text = json ? `${JSON.stringify(sessions.map(sessionView), null, 2)}\n` : sessionTable(sessions);
  process.stdout.write(text);
  return 0;
}

async function closeSessions(core: LocalCore, refs: string[], all: boolean): Promise<number> {
  if (all) {
    for (const id of await core.sessions.closeAll(core.actor)) process.stdout.write(`${id}\n`);
    return 0;
  }
  if (refs.length === 0) throw new MaiError('INPUT_INVALID', 'name a session to close, or pass --all');
  // Resolve every name first so a typo closes nothing.
  const sessions = await Promise.all(refs.map((ref) => core.sessions.find(core.actor, ref)));
  for (const session of sessions) {
    await core.sessions.close(session);
    process.stdout.write(`${session.id}\n`);
  }
  return 0;
}
