import { cac, type CAC } from 'cac';
import { MaiError } from '../gateway/errors.js';

/**
 * Runs one command group (`mai session ...`) with its own cac instance, so each
 * group has its own flags and help. An action may return the process exit code.
 */
export async function runSubcommands(
  group: string,
  argv: string[],
  define: (cli: CAC) => void,
): Promise<number> {
  const cli = cac(`mai ${group}`);
  define(cli);
  cli.help();
  const parsed = cli.parse(['node', 'mai', ...argv], { run: false });
  if (parsed.options.help) return 0;
  if (!cli.matchedCommand) {
    const word = parsed.args[0];
    throw new MaiError('INPUT_INVALID', word ? `unknown command "${group} ${word}" (see mai ${group} --help)` : `missing command (see mai ${group} --help)`);
  }
  const code: unknown = await cli.runMatchedCommand();
  return typeof code === 'number' ? code : 0;
}

/** cac gives a string for one flag and an array for repeated ones; always get an array. */
export function many(value: unknown): string[] {
  if (value === undefined || value === null || value === false) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}
