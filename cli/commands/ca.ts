import { readFileSync } from 'node:fs';
import { durationSeconds } from '../../gateway/config/service-config.js';
import { CertificateAuthority } from '../../gateway/domain/certificate-authority.js';
import { MaiError } from '../../gateway/errors.js';
import { loadServerKeys } from '../../gateway/server-keys.js';
import { USER_NAME } from '../../gateway/users/user-name.js';
import type { CliContext } from '../context.js';
import { runSubcommands } from '../subcommands.js';

/** Longest certificate an operator can mint by hand. */
const MAX_MANUAL_TTL_SECONDS = 7 * 86400;

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('ca', argv, (cli) => {
    cli
      .command('sign', "Print a user certificate signed by the server's CA (operators' break-glass path)")
      .option('--user <name>', 'Login name (the certificate principal)')
      .option('--pubkey <file>', "The user's public key file (e.g. id_ed25519.pub)")
      .option('--ttl <duration>', 'Lifetime, e.g. 30m, 8h, 1d (default 8h, at most 7d)', { default: '8h' })
      .action(async (options) => {
        const user = options.user === undefined ? '' : String(options.user);
        if (!USER_NAME.test(user)) throw new MaiError('INPUT_INVALID', '--user NAME is required (a lowercase user name)');
        if (options.pubkey === undefined) throw new MaiError('INPUT_INVALID', '--pubkey FILE is required');
        const ttl = durationSeconds.safeParse(String(options.ttl));
        if (!ttl.success) throw new MaiError('INPUT_INVALID', `--ttl "${String(options.ttl)}": expected a duration like 30m, 8h or 1d`);
        let publicKey: string;
        try {
          publicKey = readFileSync(String(options.pubkey), 'utf8');
        } catch (err) {
          throw new MaiError('INPUT_INVALID', `--pubkey ${String(options.pubkey)}: cannot read the file`, { cause: err });
        }
        const { userCa } = await loadServerKeys(ctx.dataDirFlag ?? ctx.paths.dataDir);
        const ca = new CertificateAuthority(userCa, MAX_MANUAL_TTL_SECONDS);
        const issued = ca.issue({ user, publicKey, ttlSeconds: ttl.data });
        process.stdout.write(`${issued.certificate}\n`);
        process.stderr.write(`serial ${issued.serial}, valid until ${issued.validBefore.toISOString()}\n`);
        return 0;
      });
  });
}
