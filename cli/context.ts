import type { Env } from '../gateway/config/load-yaml.js';
import type { CliConfig, CliPaths } from './cli-config.js';

/** What every command gets from the entry point: validated config, resolved paths, the environment. */
export interface CliContext {
  env: Env;
  config: CliConfig;
  paths: CliPaths;
  /** `--data-dir` as given, for commands whose own config may also name a data dir. */
  dataDirFlag?: string;
  /** `-r NAME` / MAI_REMOTE, when a remote was chosen. */
  remote?: string;
}
