import { readFileSync } from 'node:fs';
import { PROVIDER_TYPES } from '../../drivers/driver-schema.js';
import type { ProviderInput } from '../../gateway/domain/tool-definitions.js';
import { formatTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { runSubcommands } from '../subcommands.js';
import { openToolSettings } from '../tool-settings-client.js';

/**
 * `mai provider add|list|remove`: model providers sessions name with `--model
 * PROVIDER/MODEL`. The config's (`providers:`, keys as `${VAR}`) and your own, whose key
 * is stored encrypted (locally, or on the server with -r, sealed before it is sent).
 */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('provider', argv, (cli) => {
    cli
      .command('add <name>', 'Add (or replace) a model provider of your own')
      .option('--type <type>', `One of ${PROVIDER_TYPES.join(', ')}`)
      .option('--base-url <url>', 'Its endpoint, when not the default (needed for openai-compatible)')
      .option('--api-key-stdin', 'Read the API key from stdin')
      .option('--api-key-env <VAR>', 'Take the API key from this variable of your environment')
      .action(async (name: string, options: Record<string, unknown>) => {
        const { provider, created } = await (await openToolSettings(ctx)).saveProvider(inputFrom(name, options, ctx));
        process.stdout.write(`${provider.name}\n`);
        process.stderr.write(`${created ? 'added' : 'updated'} provider ${provider.name} (${provider.type}${provider.hasKey ? ', key stored encrypted' : ', no key'}); use it with --model ${provider.name}/MODEL\n`);
        return 0;
      });

    cli
      .command('list', 'Model providers you may name (never their keys)')
      .alias('ls')
      .option('--json', 'Machine-readable output')
      .action(async (options: Record<string, unknown>) => {
        const providers = await (await openToolSettings(ctx)).listProviders();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(providers, null, 2)}\n`);
          return 0;
        }
        const rows = providers.map((p) => [p.name, p.type, p.source, p.hasKey ? 'yes' : 'no', p.baseUrl ?? '-']);
        process.stdout.write(formatTable(['NAME', 'TYPE', 'FROM', 'KEY', 'BASE URL'], rows));
        return 0;
      });

    cli
      .command('remove <name>', 'Remove a provider of your own and its key')
      .alias('rm')
      .action(async (name: string) => {
        await (await openToolSettings(ctx)).removeProvider(name);
        process.stdout.write(`${name}\n`);
        return 0;
      });
  });
}

function inputFrom(name: string, options: Record<string, unknown>, ctx: CliContext): ProviderInput {
  if (options.type === undefined) throw new MaiError('INPUT_INVALID', `--type is needed: one of ${PROVIDER_TYPES.join(', ')}`);
  if (options.apiKeyStdin && options.apiKeyEnv !== undefined) throw new MaiError('INPUT_INVALID', 'pass --api-key-stdin or --api-key-env, not both');
  let apiKey: string | undefined;
  if (options.apiKeyStdin) apiKey = readFileSync(0, 'utf8').trim();
  if (options.apiKeyEnv !== undefined) {
    apiKey = ctx.env[String(options.apiKeyEnv)];
    if (!apiKey) throw new MaiError('INPUT_INVALID', `--api-key-env: ${String(options.apiKeyEnv)} is not set`);
  }
  return {
    name,
    type: String(options.type) as ProviderInput['type'],
    ...(options.baseUrl !== undefined ? { baseUrl: String(options.baseUrl) } : {}),
    ...(apiKey ? { apiKey } : {}),
  };
}
