import { parseTail, type ReservedWord } from '../domain/session-request.js';
import { MaiError } from '../errors.js';
import { splitCommandLine } from './command-line.js';

/**
 * What an SSH request asks for, per the routing grammar in ARCHITECTURE.md:
 *   alice@gw                     -> usage (list + help)
 *   alice@gw SESSION             -> shell in SESSION
 *   alice@gw SESSION CMD...      -> CMD in SESSION
 *   alice+SESSION@gw [CMD...]    -> shell or CMD in SESSION (sftp, scp, -L use this)
 *   alice@gw watch SESSION       -> SESSION's terminal, read-only
 *   alice@gw new|ls|close|logs|help ...
 */
export type Route =
  | { kind: 'usage' }
  | { kind: 'help' }
  | { kind: 'list'; json: boolean }
  | { kind: 'new'; args: string[] }
  | { kind: 'close'; sessions: string[] }
  | { kind: 'logs'; session: string; follow: boolean; tail?: number | 'all' }
  | { kind: 'shell'; session: string }
  | { kind: 'watch'; session: string }
  | { kind: 'exec'; session: string; command: string };

/**
 * The management words and what each routes to. Every word must be a reserved session
 * name (the `satisfies` below makes the compiler check it), so no session can shadow it.
 */
const COMMANDS = {
  help: () => ({ kind: 'help' }),
  ls: (args) => ({ kind: 'list', json: args.includes('--json') }),
  new: (args) => ({ kind: 'new', args }),
  watch: (args) => {
    if (args.length !== 1) throw new MaiError('INPUT_INVALID', 'usage: watch SESSION (with ssh -t)');
    return { kind: 'watch', session: args[0]! };
  },
  close: (args) => {
    if (args.length === 0) throw new MaiError('INPUT_INVALID', 'usage: close SESSION...');
    return { kind: 'close', sessions: args };
  },
  logs: (args) => {
    let follow = false;
    let tail: number | 'all' | undefined;
    let session: string | undefined;
    for (let i = 0; i < args.length; i++) {
      const arg = args[i]!;
      if (arg === '-f' || arg === '--follow') follow = true;
      else if (arg === '--tail' || arg === '-n') tail = parseTail(args[++i] ?? '');
      else if (arg.startsWith('--tail=')) tail = parseTail(arg.slice('--tail='.length));
      else if (!arg.startsWith('-') && session === undefined) session = arg;
      else throw new MaiError('INPUT_INVALID', `logs: unexpected "${arg}" (usage: logs SESSION [-f] [--tail N|all])`);
    }
    if (!session) throw new MaiError('INPUT_INVALID', 'usage: logs SESSION [-f] [--tail N|all]');
    return { kind: 'logs', session, follow, ...(tail !== undefined ? { tail } : {}) };
  },
} satisfies Partial<Record<ReservedWord, (args: string[]) => Route>>;

/** `alice` or `alice+SESSION`. */
export function parseLoginName(login: string): { user: string; session?: string } {
  const plus = login.indexOf('+');
  if (plus < 0) return { user: login };
  return { user: login.slice(0, plus), session: login.slice(plus + 1) || undefined };
}

/** Routes a shell (command undefined) or exec request. */
export function routeRequest(loginSession: string | undefined, command: string | undefined): Route {
  const line = command?.trim() ?? '';
  if (loginSession) return line ? { kind: 'exec', session: loginSession, command: line } : { kind: 'shell', session: loginSession };
  if (!line) return { kind: 'usage' };
  let words;
  try {
    words = splitCommandLine(line);
  } catch (err) {
    throw new MaiError('INPUT_INVALID', `cannot parse command: ${(err as Error).message}`);
  }
  const [first, ...others] = words;
  if (!first) return { kind: 'usage' };
  const management = Object.hasOwn(COMMANDS, first.value) ? COMMANDS[first.value as keyof typeof COMMANDS] : undefined;
  if (management) return management(others.map((w) => w.value));
  return first.rest ? { kind: 'exec', session: first.value, command: first.rest } : { kind: 'shell', session: first.value };
}
