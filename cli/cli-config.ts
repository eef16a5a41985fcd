import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { loadYamlConfig, type Env } from '../gateway/config/load-yaml.js';

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
