import type { CAC } from 'cac';
import type { CreateSessionRequest } from '../../gateway/domain/session-request.js';
import { DEFAULT_LOG_TAIL, parseEnvAssignment, parsePort, parseTail, parseTtl, parseVolume } from '../../gateway/domain/session-request.js';
import { ago, formatTable, sessionTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { forwardedEnv } from '../forward-env.js';
import { openSessionBackend, type SessionBackend } from '../session-backend.js';
import { many, runSubcommands } from '../subcommands.js';

const progress = (line: string) => process.stderr.write(`${line}\n`);

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('session', argv, (cli) => defineSessionCommands(cli, ctx));
}

/**
 * The `session` commands, once for both modes: the backend (local Docker, or the
 * remote chosen with -r) decides how; flags and output are the same. `mai` with no
 * arguments reuses `create`.
 */
export function defineSessionCommands(cli: CAC, ctx: CliContext): void {
  cli
    .command('create', 'Create a session and connect to it')
    .option('--driver <name>', 'Driver to run (default from config: base)')
    .option('--name <name>', 'A name to reach the session by')
    .option('-e, --env <KEY=VALUE>', 'Environment variable (repeatable)', { type: [String] })
    .option('-v, --volume <SRC:DST[:ro]>', 'Bind a host path or volume (repeatable)', { type: [String] })
    .option('-p, --port <[HOST:]PORT>', 'Publish a port on 127.0.0.1 (repeatable)', { type: [String] })
    .option('--project <url>', 'Git repository to clone into /app (a stored project brings its credentials)')
    .option('--model <provider/model>', "The tool's model, at a provider of mai provider list (default: the config's defaultModel)")
    .option('--mcp <name>', 'An MCP server of mai mcp list for the tool (repeatable; default: the config\'s defaultMcp)', { type: [String] })
    .option('--egress <open|none|allow:HOST,...>', 'Where the session may connect to (default: the config\'s egress.default, open)')
    .option('--forward-env', "Pass the driver's forwardable variables (API keys...) from your environment")
    .option('--cpus <n>', 'CPU limit (default 2)')
    .option('--memory <mb>', 'Memory limit in MB (default 4096)')
    .option('--pids <n>', 'Process limit (default 1024)')
    .option('--ttl <duration>', "How long the session lives (30m, 8h, 2d), within the server's maximum")
    .option('--no-connect', 'Create only; print the id and exit')
    .option('--run <cmd>', 'Run a command in the new session instead of connecting')
    .action((options) => withBackend(ctx, (backend) => createSession(backend, options, ctx)));

  cli
    .command('list', 'List sessions')
    .alias('ls')
    .option('--json', 'Machine-readable output')
    .action((options) => withBackend(ctx, (backend) => listSessions(backend, Boolean(options.json))));

  cli
    .command('connect <session>', 'Open a terminal in a session (id or name)')
    .action((ref: string) => withBackend(ctx, (backend) => backend.connect(ref, hasTerminal())));

  cli
    .command('close [...sessions]', 'Close sessions: container and everything created for it removed')
    .option('--all', 'Close all your sessions')
    .action((refs: string[], options) => withBackend(ctx, (backend) => closeSessions(backend, refs, Boolean(options.all))));

  cli
    .command('recordings <session> [n]', 'List the recordings of a session\'s terminals, or print recording N (asciicast v2: asciinema play)')
    .option('--json', 'Machine-readable list')
    .action((ref: string, n: string | undefined, options) =>
      withBackend(ctx, (backend) => (n === undefined ? listRecordings(backend, ref, Boolean(options.json)) : printRecording(backend, ref, n))),
    );

  cli
    .command('logs <session>', 'Show the session container output')
    .option('-f, --follow', 'Keep streaming')
    .option('-n, --tail <lines>', `Last lines to show, or all (default ${DEFAULT_LOG_TAIL})`)
    .action((ref: string, options) =>
      withBackend(ctx, async (backend) => {
        const tail = options.tail === undefined ? undefined : parseTail(String(options.tail));
        const stream = await backend.logs(ref, { follow: Boolean(options.follow), ...(tail !== undefined ? { tail } : {}) });
        await new Promise<void>((resolve, reject) => {
          stream.on('error', reject).on('end', resolve);
          stream.pipe(process.stdout, { end: false });
        });
        return 0;
      }),
    );
}

async function withBackend(ctx: CliContext, action: (backend: SessionBackend) => Promise<number>): Promise<number> {
  const backend = await openSessionBackend(ctx);
  try {
    return await action(backend);
  } finally {
    await backend.dispose();
  }
}

function hasTerminal(): boolean {
  return Boolean(process.stdin.isTTY && process.stdout.isTTY);
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
    ...(options.model === undefined ? {} : { model: String(options.model) }),
    ...(options.mcp === undefined ? {} : { mcp: many(options.mcp) }),
    ...(options.egress === undefined ? {} : { egress: String(options.egress) }),
    ...(options.ttl === undefined ? {} : { ttl: parseTtl(String(options.ttl)) }),
    limits: { cpus: number('cpus'), memoryMb: number('memory'), pids: number('pids') },
  };
}

async function createSession(backend: SessionBackend, options: Record<string, unknown>, ctx: CliContext): Promise<number> {
  const request = createRequestFromFlags(options);
  if (options.forwardEnv) {
    const forwarded = forwardedEnv(ctx, request.driver);
    // Explicit -e wins over the environment; only names are shown.
    request.env = { ...forwarded, ...request.env };
    progress(`forwarding ${Object.keys(forwarded).sort().join(', ') || 'nothing (none of the driver\'s variables is set)'}`);
  }
  const session = await backend.create(request, progress);
  process.stdout.write(`${session.id}\n`);
  if (typeof options.run === 'string') return backend.run(session.id, options.run);
  if (options.connect === false) return 0;
  return backend.connect(session.id, hasTerminal());
}

async function listSessions(backend: SessionBackend, json: boolean): Promise<number> {
  const sessions = await backend.list();
  process.stdout.write(json ? `${JSON.stringify(sessions, null, 2)}\n` : sessionTable(sessions));
  return 0;
}

async function listRecordings(backend: SessionBackend, ref: string, json: boolean): Promise<number> {
  const { recordings } = await backend.recordings(ref);
  if (json) {
    process.stdout.write(`${JSON.stringify(recordings, null, 2)}\n`);
    return 0;
  }
  const rows = recordings.map((r) => [String(r.n), r.user, ago(r.startedAt), `${Math.ceil(r.bytes / 1024)} KB`]);
  process.stdout.write(formatTable(['N', 'USER', 'STARTED', 'SIZE'], rows));
  return 0;
}

async function printRecording(backend: SessionBackend, ref: string, n: string): Promise<number> {
  if (!/^\d{1,9}$/.test(n)) throw new MaiError('INPUT_INVALID', `recording "${n}": expected its number (see mai session recordings ${ref})`);
  const stream = await backend.recording(ref, Number(n));
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject).on('end', resolve);
    stream.pipe(process.stdout, { end: false });
  });
  return 0;
}

async function closeSessions(backend: SessionBackend, refs: string[], all: boolean): Promise<number> {
  if (all) {
    for (const id of await backend.closeAll()) process.stdout.write(`${id}\n`);
    return 0;
  }
  if (refs.length === 0) throw new MaiError('INPUT_INVALID', 'name a session to close, or pass --all');
  // Resolve every name first so a typo closes nothing.
  const sessions = await Promise.all(refs.map((ref) => backend.find(ref)));
  for (const session of sessions) {
    await backend.close(session.id);
    process.stdout.write(`${session.id}\n`);
  }
  return 0;
}
