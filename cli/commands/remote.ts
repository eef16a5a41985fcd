import { promises as fs } from 'node:fs';
import { formatTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import { REMOTE_NAME, remoteSchema } from '../cli-config.js';
import type { CliContext } from '../context.js';
import { editCliConfig, remoteFor } from '../remote/remotes.js';
import { revokeLogin } from '../remote/revoke.js';
import { tokenStoreFor } from '../remote/stored-login.js';
import { runSubcommands } from '../subcommands.js';

/** `mai remote ...`: the servers remote mode talks to, kept in config.yaml like `git remote`. */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('remote', argv, (cli) => {
    cli
      .command('add <name> <url>', 'Add a server (its REST URL, e.g. https://mai.example.com)')
      .option('--default', 'Use it when no -r is given')
      .action((name: string, url: string, options) => add(ctx, name, url, Boolean(options.default)));
    cli
      .command('list', 'List remotes, whom you are logged in as, and the default')
      .alias('ls')
      .option('--json', 'Machine-readable output')
      .action((options) => list(ctx, Boolean(options.json)));
    cli.command('remove <name>', 'Log out of a remote and forget it').alias('rm').action((name: string) => remove(ctx, name));
    cli
      .command('default [name]', 'Show or set the default remote')
      .option('--unset', 'No default: plain commands work on local Docker')
      .action((name: string | undefined, options) => setDefault(ctx, name, Boolean(options.unset)));
  });
}

async function add(ctx: CliContext, name: string, url: string, makeDefault: boolean): Promise<number> {
  if (!REMOTE_NAME.test(name)) throw new MaiError('INPUT_INVALID', `remote name "${name}": use lowercase letters, digits, "_" and "-" (at most 32)`);
  if (!remoteSchema.shape.url.safeParse(url).success) throw new MaiError('INPUT_INVALID', `"${url}" is not an http(s) URL`);
  if (ctx.config.remotes[name]) throw new MaiError('INPUT_INVALID', `remote "${name}" exists (mai remote remove ${name} first)`);
  await editCliConfig(ctx, (doc) => {
    doc.set(['remotes', name], { url: url.replace(/\/+$/, '') });
    if (makeDefault) doc.set(['defaultRemote'], name);
  });
  process.stderr.write(`added remote "${name}"; log in with: mai -r ${name} auth\n`);
  return 0;
}

async function list(ctx: CliContext, json: boolean): Promise<number> {
  const rows = [];
  for (const name of Object.keys(ctx.config.remotes).sort()) {
    const remote = remoteFor(ctx, name);
    const login = await tokenStoreFor(remote).load().catch(() => null);
    rows.push({ name, url: remote.url, user: login?.user ?? null, default: ctx.config.defaultRemote === name, sshAlias: remote.alias, sshConfig: remote.paths.sshConfig });
  }
  if (json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else process.stdout.write(formatTable(['NAME', 'URL', 'USER', 'DEFAULT'], rows.map((r) => [r.name, r.url, r.user ?? '-', r.default ? '*' : ''])));
  return 0;
}

async function remove(ctx: CliContext, name: string): Promise<number> {
  const remote = remoteFor(ctx, name);
  await revokeLogin(remote, { quiet: true });
  // The folder holds only what mai made (a --key of the user's lives elsewhere and stays).
  await fs.rm(remote.paths.dir, { recursive: true, force: true });
  await editCliConfig(ctx, (doc) => {
    doc.delete(['remotes', name]);
    if (doc.get(['defaultRemote']) === name) doc.delete(['defaultRemote']);
  });
  process.stderr.write(`removed remote "${name}"\n`);
  return 0;
}

async function setDefault(ctx: CliContext, name: string | undefined, unset: boolean): Promise<number> {
  if (unset) {
    await editCliConfig(ctx, (doc) => doc.delete(['defaultRemote']));
    return 0;
  }
  if (name === undefined) {
    process.stdout.write(`${ctx.config.defaultRemote ?? '(none: local Docker)'}\n`);
    return 0;
  }
  remoteFor(ctx, name);
  await editCliConfig(ctx, (doc) => doc.set(['defaultRemote'], name));
  return 0;
}
