import { promises as fs } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { editYamlText, validateConfig, type YamlEdits } from '../../gateway/config/load-yaml.js';
import { MaiError } from '../../gateway/errors.js';
import { cliConfigSchema, type RemoteConfig } from '../cli-config.js';
import type { CliContext } from '../context.js';
import { writePrivateFile } from './private-files.js';

/** Where one remote's credentials live: all under `<configDir>/remotes/NAME/`, except a `--key` of the user's. */
export interface RemotePaths {
  dir: string;
  /** The secretbox key shared by every remote's token file. */
  secretKey: string;
  tokens: string;
  /** Held while refreshing, so two CLIs never spend the same refresh token (the server revokes on reuse). */
  refreshLock: string;
  key: string;
  publicKey: string;
  cert: string;
  knownHosts: string;
  sshConfig: string;
}

export interface Remote {
  name: string;
  /** The REST base URL, without a trailing slash. */
  url: string;
  config: RemoteConfig;
  paths: RemotePaths;
  /** The `Host` alias of the ssh config block: `ssh mai-NAME SESSION`. */
  alias: string;
}

export function remoteFor(ctx: CliContext, name: string): Remote {
  const config = ctx.config.remotes[name];
  if (!config) {
    const known = Object.keys(ctx.config.remotes);
    const hint = known.length ? `known: ${known.join(', ')}` : 'add one with "mai remote add NAME URL"';
    throw new MaiError('REMOTE_UNKNOWN', `no remote named "${name}" (${hint})`);
  }
  const dir = join(ctx.paths.configDir, 'remotes', name);
  const key = config.key ?? join(dir, 'id_ed25519');
  return {
    name,
    url: config.url.replace(/\/+$/, ''),
    config,
    alias: `mai-${name}`,
    paths: {
      dir,
      secretKey: join(ctx.paths.configDir, 'key'),
      tokens: join(dir, 'tokens'),
      refreshLock: join(dir, 'tokens.lock'),
      key,
      publicKey: `${key}.pub`,
      cert: join(dir, 'id_ed25519-cert.pub'),
      knownHosts: join(dir, 'known_hosts'),
      sshConfig: join(dir, 'ssh_config'),
    },
  };
}

/** The remote chosen by `-r`, MAI_REMOTE or `defaultRemote`; commands that need one say how to pick it. */
export function chosenRemote(ctx: CliContext, command: string): Remote {
  if (!ctx.remote) throw new MaiError('INPUT_INVALID', `name a remote: mai -r NAME ${command} (see mai remote list)`);
  return remoteFor(ctx, ctx.remote);
}

/**
 * Changes config.yaml in place through the YAML document, so the user's comments and
 * `${VAR}` references survive; the result is validated before it replaces the file.
 */
export async function editCliConfig(ctx: CliContext, edit: (doc: YamlEdits) => void): Promise<void> {
  const file = ctx.paths.configFile;
  let text = '';
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new MaiError('CONFIG_NOT_FOUND', `${file}: cannot read config file`, { cause: err });
  }
  const edited = editYamlText(text, edit);
  validateConfig(cliConfigSchema, edited.data, file, ctx.env);
  await writePrivateFile(file, edited.text);
}

/** A `--key` or `--ca-cert` FILE as an absolute path, so the config works from any directory. */
export function absolutePath(file: string, cwd: string): string {
  return isAbsolute(file) ? file : resolve(cwd, file);
}
