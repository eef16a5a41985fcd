import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadYamlConfig, type Env } from '../gateway/config/load-yaml.js';
import { recordingSchema } from '../gateway/config/units.js';
import { toolConfigShape } from '../gateway/config/tool-config.js';

/** Names of remotes (`-r NAME`): short, and safe as a directory name and an ssh host alias. */
export const REMOTE_NAME = /^[a-z0-9][a-z0-9_-]{0,31}$/;

/**
 * A `mai serve` the CLI talks to: its REST base URL, how its HTTPS certificate is
 * trusted, and, with `--key`, the user's own ssh key.
 */
export const remoteSchema = z
  .object({
    url: z.url({ protocol: /^https?$/ }),
    /** A private key the user chose with `mai -r NAME auth --key FILE` (its `.pub` beside it). */
    key: z.string().min(1).optional(),
    /** PEM file of the CA that signed the server's certificate (instead of the public CAs). */
    caCert: z.string().min(1).optional(),
    /** The server's certificate must be exactly this one (`SHA256:AB:CD:...`, as `mai serve` prints it). */
    fingerprint: z.string().min(1).optional(),
    /** DANGER: allows `http://` to a host other than this machine; tokens then cross the network in clear. */
    insecure: z.boolean().optional(),
  })
  .strict();

export type RemoteConfig = z.output<typeof remoteSchema>;

/** `~/.config/mai/config.yaml`: the CLI's own settings. Every field is optional. */
export const cliConfigSchema = z
  .object({
    defaultDriver: z.string().min(1).default('base'),
    dataDir: z.string().min(1).optional(),
    docker: z
      .object({
        socket: z.string().min(1).default('/var/run/docker.sock'),
        network: z.string().min(1).default('mai'),
      })
      .strict()
      .prefault({}),
    /** Folders of custom drivers (each with a mai-driver.yaml and a Dockerfile). */
    drivers: z.array(z.string().min(1)).default([]),
    /** Local projects: the service config's `projects:` section, same names. */
    projects: z
      .object({
        storage: z.object({ key: z.string().optional() }).strict().prefault({}),
        /** Git hosts whose SSH host keys sessions may fetch themselves (ssh-keyscan); others need --known-hosts. */
        default_ssh_scan: z.array(z.string().min(1)).default(['github.com', 'gitlab.com', 'bitbucket.org']),
      })
      .strict()
      .prefault({}),
    /** Local sessions: terminal recording only (the service config's `sessions.recording`), off by default. */
    sessions: z.object({ recording: recordingSchema(false) }).strict().prefault({}),
    /** Servers for remote mode, by name (`mai remote add NAME URL`). */
    remotes: z.record(z.string().regex(REMOTE_NAME, 'remote names are lowercase letters, digits, "_" and "-"'), remoteSchema).default({}),
    /** The remote used when neither `-r` nor MAI_REMOTE names one (`mai remote default NAME`). */
    defaultRemote: z.string().regex(REMOTE_NAME).optional(),
    /** Model providers, MCP servers, defaults and egress of local sessions (the service config's names). */
    ...toolConfigShape,
  })
  .strict();

export type CliConfig = z.output<typeof cliConfigSchema>;

export interface CliPaths {
  configDir: string;
  configFile: string;
  dataDir: string;
}

/** Where the CLI keeps things: MAI_CONFIG_DIR / XDG, then `--data-dir` > MAI_DATA_DIR > config > XDG default. */
export function resolvePaths(env: Env, config: CliConfig | null, dataDirFlag?: string): CliPaths {
  const home = env.HOME ?? homedir();
  const configDir = env.MAI_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(home, '.config'), 'mai');
  const dataDir =
    dataDirFlag ?? env.MAI_DATA_DIR ?? config?.dataDir ?? join(env.XDG_DATA_HOME ?? join(home, '.local', 'share'), 'mai');
  return { configDir, configFile: join(configDir, 'config.yaml'), dataDir };
}

export function loadCliConfig(env: Env): CliConfig {
  return loadYamlConfig(cliConfigSchema, resolvePaths(env, null).configFile, env, { optional: true });
}
