import { existsSync, promises as fs } from 'node:fs';
import { isLoopbackHost } from '../../gateway/config/loopback.js';
import { formatTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import { normalizeTlsFingerprint } from '../../keys/tls-certificate.js';
import { REMOTE_NAME, remoteSchema, type RemoteConfig } from '../cli-config.js';
import type { CliContext } from '../context.js';
import { absolutePath, editCliConfig, remoteFor } from '../remote/remotes.js';
import { revokeLogin } from '../remote/revoke.js';
import { tokenStoreFor } from '../remote/stored-login.js';
import { runSubcommands } from '../subcommands.js';

/** `mai remote ...`: the servers remote mode talks to, kept in config.yaml like `git remote`. */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('remote', argv, (cli) => {
    cli
      .command('add <name> <url>', 'Add a server (its REST URL, e.g. https://mai.example.com)')
      .option('--default', 'Use it when no -r is given')
      .option('--fingerprint <sha256>', "Pin the server's certificate (SHA256:AB:CD:..., as mai serve prints it)")
      .option('--ca-cert <file>', "Trust the CA in this PEM file for the server's certificate")
      .option('--insecure', 'Allow http:// to another machine (tokens cross the network in clear)')
      .action((name: string, url: string, options) => add(ctx, name, url, options));
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

async function add(ctx: CliContext, name: string, url: string, options: Record<string, unknown>): Promise<number> {
  if (!REMOTE_NAME.test(name)) throw new MaiError('INPUT_INVALID', `remote name "${name}": use lowercase letters, digits, "_" and "-" (at most 32)`);
  if (!remoteSchema.shape.url.safeParse(url).success) throw new MaiError('INPUT_INVALID', `"${url}" is not an http(s) URL`);
  if (ctx.config.remotes[name]) throw new MaiError('INPUT_INVALID', `remote "${name}" exists (mai remote remove ${name} first)`);
  const remote: RemoteConfig = { url: url.replace(/\/+$/, ''), ...trustOptions(url, options) };
  await editCliConfig(ctx, (doc) => {
    doc.set(['remotes', name], remote);
    if (options.default) doc.set(['defaultRemote'], name);
  });
  process.stderr.write(`added remote "${name}"; log in with: mai -r ${name} auth\n`);
  return 0;
}

/** How the remote's HTTPS is trusted; plain http:// only to this machine, or when the user insists. */
function trustOptions(url: string, options: Record<string, unknown>): Omit<RemoteConfig, 'url'> {
  const { protocol, hostname } = new URL(url);
  const insecure = options.insecure === true;
  if (protocol === 'http:' && !isLoopbackHost(hostname) && !insecure) {
    throw new MaiError('INPUT_INVALID', `${url}: plain http:// to another machine would send tokens in clear; use https:// (or --insecure)`);
  }
  if (options.fingerprint !== undefined && options.caCert !== undefined) throw new MaiError('INPUT_INVALID', 'give --fingerprint or --ca-cert, not both');
  if ((options.fingerprint !== undefined || options.caCert !== undefined) && protocol !== 'https:') {
    throw new MaiError('INPUT_INVALID', '--fingerprint and --ca-cert are for https:// remotes');
  }
  if (options.fingerprint !== undefined) {
    const fingerprint = normalizeTlsFingerprint(String(options.fingerprint));
    if (!fingerprint) throw new MaiError('INPUT_INVALID', `--fingerprint "${String(options.fingerprint)}": expected SHA256: and 32 hex bytes, as mai serve prints it`);
    return { fingerprint };
  }
  if (options.caCert !== undefined) {
    const caCert = absolutePath(String(options.caCert), process.cwd());
    if (!existsSync(caCert)) throw new MaiError('INPUT_INVALID', `--ca-cert ${caCert}: no such file`);
    return { caCert };
  }
  return insecure ? { insecure } : {};
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
