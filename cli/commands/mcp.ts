import type { McpServerInput } from '../../gateway/domain/tool-definitions.js';
import { parseEnvAssignment } from '../../gateway/domain/session-request.js';
import { formatTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { many, runSubcommands } from '../subcommands.js';
import { openToolSettings } from '../tool-settings-client.js';

const ADD_USAGE = 'mai mcp add NAME --url URL [--header "K: V"]... | --image IMAGE --port N [-e K=V]... | [-e K=V]... -- COMMAND [ARGS...]';

/**
 * `mai mcp add|list|remove`: MCP servers sessions name with `--mcp NAME`. Three kinds: a
 * remote server (URL, headers), an image run beside the session (`--image`), a command
 * the tool starts inside it (after `--`). Header and variable values are stored encrypted.
 */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('mcp', argv, (cli) => {
    cli
      .command('add <name>', `Add (or replace) an MCP server of your own: ${ADD_USAGE}`)
      .option('--url <url>', 'A remote server')
      .option('--transport <transport>', 'streamable-http (default) or sse')
      .option('--header <"K: V">', 'Sent to a remote server (repeatable; stored encrypted)', { type: [String] })
      .option('--image <image>', 'An image run as a sidecar of each session that names it')
      .option('--port <port>', "The sidecar's port")
      .option('--path <path>', "The sidecar's MCP path (default /mcp)")
      .option('-e, --env <KEY=VALUE>', 'A variable of the server (repeatable)', { type: [String] })
      .action(async (name: string, options: Record<string, unknown>) => {
        const { server, created } = await (await openToolSettings(ctx)).saveMcpServer(inputFrom(name, options));
        process.stdout.write(`${server.name}\n`);
        process.stderr.write(`${created ? 'added' : 'updated'} MCP server ${server.name} (${server.type}); use it with --mcp ${server.name}\n`);
        return 0;
      });

    cli
      .command('list', 'MCP servers you may name (never header or variable values)')
      .alias('ls')
      .option('--json', 'Machine-readable output')
      .action(async (options: Record<string, unknown>) => {
        const servers = await (await openToolSettings(ctx)).listMcpServers();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(servers, null, 2)}\n`);
          return 0;
        }
        const rows = servers.map((s) => [s.name, s.type, s.source, s.transport, s.target]);
        process.stdout.write(formatTable(['NAME', 'TYPE', 'FROM', 'TRANSPORT', 'TARGET'], rows));
        return 0;
      });

    cli
      .command('remove <name>', 'Remove an MCP server of your own')
      .alias('rm')
      .action(async (name: string) => {
        await (await openToolSettings(ctx)).removeMcpServer(name);
        process.stdout.write(`${name}\n`);
        return 0;
      });
  });
}

function inputFrom(name: string, options: Record<string, unknown>): McpServerInput {
  const env = Object.fromEntries(many(options.env).map(parseEnvAssignment));
  const command = many(options['--']);
  const transport = options.transport === undefined ? {} : { transport: String(options.transport) as 'streamable-http' | 'sse' };
  const kinds = [options.url !== undefined, options.image !== undefined, command.length > 0].filter(Boolean).length;
  if (kinds !== 1) throw new MaiError('INPUT_INVALID', `say what the server is: ${ADD_USAGE}`);
  if (options.url !== undefined) {
    return { name, type: 'remote', url: String(options.url), ...transport, headers: Object.fromEntries(many(options.header).map(parseHeader)) };
  }
  if (options.image !== undefined) {
    const port = Number(options.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new MaiError('INPUT_INVALID', '--image needs --port N (the port the server listens on)');
    return { name, type: 'container', image: String(options.image), port, ...(options.path !== undefined ? { path: String(options.path) } : {}), ...transport, env };
  }
  return { name, type: 'command', command: command[0]!, args: command.slice(1), env };
}

/** `Name: value` (as curl takes it) or `Name=value`; an error names the header, never its value. */
function parseHeader(text: string): [string, string] {
  const match = /^([^:=\s]+)\s*[:=]\s?(.*)$/s.exec(text);
  if (!match) throw new MaiError('INPUT_INVALID', '--header: expected "Name: value"');
  return [match[1]!, match[2]!];
}
