import type { CliContext } from '../context.js';
import { chosenRemote } from '../remote/remotes.js';
import { revokeLogin } from '../remote/revoke.js';

/** `mai -r NAME logout`: the server revokes the login and its certificates; the local tokens and certificate go. */
export async function run(argv: string[], ctx: CliContext): Promise<number> {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write('Usage: mai -r NAME logout\n\nRevoke this login (tokens and ssh certificates) and delete them here.\n');
    return 0;
  }
  const remote = chosenRemote(ctx, 'logout');
  const had = await revokeLogin(remote);
  process.stderr.write(had ? `logged out of "${remote.name}"\n` : `not logged in to "${remote.name}"\n`);
  return 0;
}
