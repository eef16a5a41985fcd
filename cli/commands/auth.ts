import { existsSync, readFileSync } from 'node:fs';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { ApiClient } from '../remote/api-client.js';
import { browserLogin, deviceLogin } from '../remote/login.js';
import { absolutePath, chosenRemote, editCliConfig, remoteFor, type Remote } from '../remote/remotes.js';
import { setUpSsh } from '../remote/ssh-setup.js';
import { StoredLoginSource, staticTokenLogin, storedLogin, tokenStoreFor } from '../remote/stored-login.js';
import { runSubcommands } from '../subcommands.js';

/**
 * `mai -r NAME auth`: log in (browser or device code, or a token of a server without
 * an identity provider), keep the tokens encrypted, then make plain `ssh` work: key,
 * certificate, pinned host key, ssh config block.
 */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('auth', argv, (cli) => {
    cli
      .command('', 'Log in to a remote (mai -r NAME auth) and set up ssh for it')
      .option('--device', 'Device-code login: print a code to enter in a browser elsewhere')
      .option('--token-stdin', "Log in with your token from the server's auth.users (read from stdin): servers without an identity provider")
      .option('--key <file>', 'Use this private key (with FILE.pub beside it) instead of one made for the remote')
      .option('--callback-port <port>', 'Port of the local login redirect listener (default: any free one)')
      .option('--no-browser', 'Only print the login URL; do not try to open a browser')
      .option('--renew', 'No login: with the stored one, get a new ssh certificate and rewrite the ssh config')
      .action((options) => login(ctx, options));
  });
}

async function login(ctx: CliContext, options: Record<string, unknown>): Promise<number> {
  let remote = chosenRemote(ctx, 'auth');
  if (typeof options.key === 'string') remote = await useKey(ctx, remote, absolutePath(options.key, process.cwd()));
  const callbackPort = options.callbackPort === undefined ? 0 : Number(options.callbackPort);
  if (!Number.isInteger(callbackPort) || callbackPort < 0 || callbackPort > 65535) {
    throw new MaiError('INPUT_INVALID', `--callback-port "${String(options.callbackPort)}": expected a port number`);
  }

  if (options.renew) {
    // For users of plain ssh, whose certificate outlives no session of this CLI.
    const gateway = await setUpSsh(remote, new ApiClient(remote, await StoredLoginSource.open(remote)));
    process.stderr.write(`renewed the ssh certificate for ${gateway.login} on "${remote.name}" (${remote.paths.cert})\n`);
    return 0;
  }
  let user: string;
  if (options.tokenStdin) {
    if (options.device) throw new MaiError('INPUT_INVALID', 'pass --device or --token-stdin, not both');
    const login = await staticTokenLogin(remote, readFileSync(0, 'utf8').trim());
    await tokenStoreFor(remote).save(login);
    user = login.user;
  } else {
    const anonymous = new ApiClient(remote);
    const pair = options.device
      ? await deviceLogin(anonymous)
      : await browserLogin(anonymous, { callbackPort, openBrowser: options.browser !== false, env: ctx.env });
    await tokenStoreFor(remote).save(storedLogin(remote, pair));
    user = pair.user;
  }

  const gateway = await setUpSsh(remote, new ApiClient(remote, await StoredLoginSource.open(remote)));
  process.stderr.write(
    [
      `Logged in to "${remote.name}" as ${user}.`,
      `ssh config for ${gateway.login}@${gateway.host}:${gateway.port}: ${remote.paths.sshConfig}`,
      `  add "Include ${remote.paths.sshConfig}" to ~/.ssh/config, then: ssh ${remote.alias} SESSION`,
      '',
    ].join('\n'),
  );
  return 0;
}

/** Records `--key` in config.yaml, so later certificate renewals sign the same key. */
async function useKey(ctx: CliContext, remote: Remote, key: string): Promise<Remote> {
  if (!existsSync(key) || !existsSync(`${key}.pub`)) throw new MaiError('INPUT_INVALID', `--key ${key}: needs the private key and ${key}.pub`);
  await editCliConfig(ctx, (doc) => doc.set(['remotes', remote.name, 'key'], key));
  const config = { ...remote.config, key };
  return remoteFor({ ...ctx, config: { ...ctx.config, remotes: { ...ctx.config.remotes, [remote.name]: config } } }, remote.name);
}
