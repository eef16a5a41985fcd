import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../drivers/package-root.js';

/*
 * What the `mai` entry reads before anything else is loaded: the global flags,
 * and the answers that need nothing else (`--help`, `--version`), so those come
 * back at once. Nothing here may import more than node's own modules.
 */

export const USAGE = `mai: ephemeral, isolated containers for AI coding agents

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

export interface Globals {
  dataDir?: string;
  remote?: string;
  local?: boolean;
  rest: string[];
  /** A flag given without its value (`-r` at the end): the CLI reports it. */
  missingValue?: string;
}

/**
 * Global flags go anywhere before a `--`, before or after the command word
 * (`mai -r prod session list` and `mai session list -r prod`, as `gh -R`); what is
 * left is the command line of the group.
 */
export function parseGlobals(argv: string[]): Globals {
  const globals: Globals = { rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      globals.rest.push(...argv.slice(i));
      break;
    }
    const value = () => {
      const next = argv[++i];
      if (next === undefined) globals.missingValue ??= arg;
      return next ?? '';
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

/** `mai --help` and `mai --version`: printed here, with their exit code; null for any other command. */
export function answerAtOnce(globals: Globals): number | null {
  if (globals.missingValue) return null;
  const word = globals.rest[0];
  if (word === '-h' || word === '--help' || word === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (word === '--version') {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
    process.stdout.write(`${pkg.version}\n`);
    return 0;
  }
  return null;
}
