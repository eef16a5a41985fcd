import { loadServiceConfig } from '../../gateway/config/service-config.js';
import { startServer } from '../../gateway/server.js';
import { MaiError } from '../../gateway/errors.js';
import { armCrashPoint } from '../../gateway/domain/crash-points.js';
import { tuneHeapForBulkTransfers } from '../../gateway/heap-tuning.js';
import type { CliContext } from '../context.js';
import { runSubcommands } from '../subcommands.js';

function portFlag(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new MaiError('INPUT_INVALID', `--${flag} "${String(value)}": expected a port number`);
  return port;
}

export function run(argv: string[], ctx: CliContext): Promise<number> {
  // `serve` has no sub-command words: its flags follow directly.
  return runSubcommands('serve', ['run', ...argv], (cli) => {
    cli
      .command('run', 'Run the SSH gateway and the REST API (one process)')
      .option('--config <file>', 'Service config (mai-service.yaml); default: embedded defaults')
      .option('--ssh-port <port>', 'SSH port (default 2222, ssh.port)')
      .option('--http-port <port>', 'HTTP port (default 3000, server.port)')
      .option('--database-url <url>', 'postgres://... (default: SQLite in the data dir)')
      .action(async (options) => {
        // Fault injection for the crash-consistency tests only: die at a named step (see crash-points.ts).
        const crashAt = ctx.env.MAI_CRASH_AT;
        if (crashAt) armCrashPoint(crashAt, ctx.env.MAI_CRASH_MODE === 'stop' ? 'stop' : 'exit');
        tuneHeapForBulkTransfers();
        const config = loadServiceConfig(options.config === undefined ? undefined : String(options.config), ctx.env);
        const dataDir = ctx.dataDirFlag ?? ctx.env.MAI_DATA_DIR ?? config.dataDir ?? ctx.paths.dataDir;
        const server = await startServer({
          config,
          dataDir,
          sshPort: portFlag(options.sshPort, 'ssh-port'),
          httpPort: portFlag(options.httpPort, 'http-port'),
          databaseUrl: options.databaseUrl === undefined ? undefined : String(options.databaseUrl),
        });
        const scheme = server.tls ? 'https' : 'http';
        process.stderr.write(`mai serve: ssh on port ${server.sshPort}, ${scheme} on port ${server.httpPort}, data in ${dataDir}\n`);
        if (server.tls?.selfSigned) {
          process.stderr.write(
            `mai serve: self-signed TLS certificate ${server.tls.fingerprint}\n` +
              `mai serve:   clients pin it with: mai remote add NAME https://HOST:${server.httpPort} --fingerprint ${server.tls.fingerprint}\n`,
          );
        }
        const signal = await new Promise<NodeJS.Signals>((resolve) => {
          process.once('SIGTERM', () => resolve('SIGTERM'));
          process.once('SIGINT', () => resolve('SIGINT'));
        });
        process.stderr.write(`mai serve: ${signal}, shutting down\n`);
        await server.close();
        return 0;
      });
  });
}
