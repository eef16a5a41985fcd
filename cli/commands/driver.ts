import { readFileSync } from 'node:fs';
import { buildDriver, hostBuildArgs } from '../../gateway/domain/driver-builder.js';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import type { CliContext } from '../context.js';
import { localDrivers } from '../local-core.js';
import { formatTable } from '../../gateway/domain/session-view.js';
import { runSubcommands } from '../subcommands.js';

export function run(argv: string[], ctx: CliContext): Promise<number> {
  return runSubcommands('driver', argv, (cli) => {
    cli
      .command('list', 'List available drivers')
      .alias('ls')
      .option('--json', 'Machine-readable output')
      .action(async (options) => {
        const drivers = localDrivers(ctx.config).list();
        const backend = new DockerBackend({ socketPath: ctx.config.docker.socket });
        // Whether an image is built is useful, but listing must work without Docker.
        const built = await Promise.all(drivers.map((d) => backend.imageExists(d.image).catch(() => null)));
        if (options.json) {
          const view = drivers.map((d, i) => ({ name: d.manifest.name, description: d.manifest.description, image: d.image, built: built[i] }));
          process.stdout.write(`${JSON.stringify(view, null, 2)}\n`);
          return 0;
        }
        const yesNo = (b: boolean | null | undefined) => (b === null || b === undefined ? '?' : b ? 'yes' : 'no');
        const rows = drivers.map((d, i) => [d.manifest.name, d.image, yesNo(built[i]), d.manifest.description]);
        process.stdout.write(formatTable(['NAME', 'IMAGE', 'BUILT', 'DESCRIPTION'], rows));
        return 0;
      });

    cli.command('info <name>', 'Show a driver: image, environment, ports, volumes').action((name: string) => {
      const driver = localDrivers(ctx.config).get(name);
      const m = driver.manifest;
      const lines = [
        `name:        ${m.name}`,
        `description: ${m.description}`,
        `version:     ${m.version}`,
        ...(m.maintainer ? [`maintainer:  ${m.maintainer}`] : []),
        `image:       ${driver.image}`,
        `folder:      ${driver.dir}`,
        `attach:      ${m.attach.join(' ')}`,
        'environment:',
        ...m.environment.map(
          (v) =>
            `  ${v.name}${v.required ? ' (required)' : ''}${v.sensitive ? ' (sensitive)' : ''}${
              v.default !== undefined && !v.sensitive ? ` = ${v.default}` : ''
            }  ${v.description}`,
        ),
        // What --model and --mcp can give its tool.
        `models:      ${Object.keys(m.model?.providers ?? {}).join(', ') || '-'}`,
        `mcp:         ${Object.keys(m.mcp?.entries ?? {}).join(', ') || '-'}`,
        `ports:       ${m.ports.join(', ') || '-'}`,
        'volumes:',
        ...m.volumes.map((v) => `  ${v.mountPath}  ${v.description}`),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
      return 0;
    });

    cli
      .command('build <name>', 'Build a driver image (and the mai driver it is built FROM, when missing)')
      .option('--all-layers', 'Rebuild the driver images it is built FROM too')
      .option('--ca-cert <file>', "PEM of an extra CA the build must trust (a TLS-inspecting proxy's); baked into the base image")
      .action(async (name: string, options) => {
        const caCert = options.caCert === undefined ? undefined : readFileSync(String(options.caCert), 'utf8').trim();
        const catalog = localDrivers(ctx.config);
        const backend = new DockerBackend({ socketPath: ctx.config.docker.socket });
        await backend.ping();
        const driver = catalog.resolve(name);
        await buildDriver(backend, catalog, driver, (line) => process.stderr.write(`${line.trimEnd()}\n`), {
          rebuildParents: Boolean(options.allLayers),
          // The machine's extra CAs by default, as a build on first use gets them.
          buildArgs: caCert ? { MAI_EXTRA_CA: caCert } : hostBuildArgs(),
        });
        process.stdout.write(`${driver.image}\n`);
        return 0;
      });
  });
}
