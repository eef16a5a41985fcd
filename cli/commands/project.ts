import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { ProjectInput, ProjectView } from '../../gateway/domain/project-service.js';
import { formatTable } from '../../gateway/domain/session-view.js';
import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';
import { runSubcommands } from '../subcommands.js';

/**
 * `mai project add|list|remove`: locally through the domain core (secrets
 * encrypted in the local store), or with `-r NAME` through the server's REST
 * API, secrets sealed to the server's key before they leave this machine.
 */
export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('project', argv, (cli) => {
    cli
      .command('add <url>', 'Add a project (a git repository) with the credentials to clone it')
      .option('--ssh-key <path>', 'Private key (without passphrase) for git over SSH')
      .option('--token <token>', 'Access token for https (visible in shell history and ps: prefer --token-stdin)')
      .option('--token-stdin', 'Read the token from stdin')
      .option('--username <name>', 'User name sent with the token (default x-access-token)')
      .option('--known-hosts <file>', 'known_hosts lines pinning the git host key (for hosts not in default_ssh_scan)')
      .option('--ca-cert <file>', 'PEM of a private CA the git host certificate chains to')
      .action(async (url: string, options: Record<string, unknown>) => {
        const input = inputFrom(url, options);
        const { project, created } = await (await openProjects(ctx)).save(input);
        process.stdout.write(`${project.id}\n`);
        process.stderr.write(`${created ? 'added' : 'updated'} project ${project.id} (${project.auth}; clones ${project.url})\n`);
        if (project.publicKey) process.stderr.write(`the git host must accept this key: ${project.publicKey}\n`);
        return 0;
      });

    cli
      .command('list', 'List your projects (never their secrets)')
      .alias('ls')
      .option('--json', 'Machine-readable output')
      .action(async (options: Record<string, unknown>) => {
        const projects = await (await openProjects(ctx)).list();
        if (options.json) {
          process.stdout.write(`${JSON.stringify(projects, null, 2)}\n`);
          return 0;
        }
        const rows = projects.map((p) => [p.id, p.auth, p.url]);
        process.stdout.write(formatTable(['ID', 'AUTH', 'URL'], rows));
        return 0;
      });

    cli
      .command('remove <url>', 'Remove a project and its stored credentials')
      .alias('rm')
      .action(async (url: string) => {
        await (await openProjects(ctx)).remove(url);
        process.stdout.write(`${url}\n`);
        return 0;
      });
  });
}

/** One place for "where do projects live": the local store or a remote's API. */
interface ProjectsClient {
  save(input: ProjectInput): Promise<{ project: ProjectView; created: boolean }>;
  list(): Promise<ProjectView[]>;
  remove(ref: string): Promise<void>;
}

function inputFrom(url: string, options: Record<string, unknown>): ProjectInput {
  const file = (flag: string, what: string): string | undefined => {
    const path = options[flag];
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(String(path)), 'utf8');
    } catch (err) {
      throw new MaiError('INPUT_INVALID', `cannot read the ${what} ${String(path)}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
  };
  if (options.sshKey !== undefined && (options.token !== undefined || options.tokenStdin)) throw new MaiError('INPUT_INVALID', 'pass --ssh-key or --token, not both');
  if (options.tokenStdin && options.token !== undefined) throw new MaiError('INPUT_INVALID', 'pass --token or --token-stdin, not both');
  const token = options.tokenStdin ? readFileSync(0, 'utf8').trim() : options.token === undefined ? undefined : String(options.token);
  const sshKey = file('sshKey', 'SSH key');
  const knownHosts = file('knownHosts', 'known hosts file');
  const caCert = file('caCert', 'CA certificate');
  return {
    url,
    ...(sshKey !== undefined ? { sshKey } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(options.username !== undefined ? { username: String(options.username) } : {}),
    ...(knownHosts !== undefined ? { knownHosts } : {}),
    ...(caCert !== undefined ? { caCert } : {}),
  };
}

async function openProjects(ctx: CliContext): Promise<ProjectsClient> {
  if (ctx.remote) return (await import('./project-remote.js')).remoteProjects(ctx, ctx.remote);
  const { openLocalCore } = await import('../local-core.js');
  return {
    async save(input) {
      const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
      try {
        return await core.projects.save(core.actor, input);
      } finally {
        await core.close();
      }
    },
    async list() {
      const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
      try {
        return await core.projects.list(core.actor);
      } finally {
        await core.close();
      }
    },
    async remove(ref) {
      const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
      try {
        await core.projects.remove(core.actor, ref);
      } finally {
        await core.close();
      }
    },
  };
}
