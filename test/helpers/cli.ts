import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, type RunResult } from './run.js';
import { tempDir } from './tmp.js';

/** The built CLI (npm test builds first): tests spawn it as a user would. */
export const MAI_BIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/**
 * A user's home for the CLI: its own config dir and data dir, so tests never
 * touch the real ones, and a private Docker network name.
 */
export class CliHome {
  readonly dir = tempDir('mai-cli-');
  readonly configDir = join(this.dir.path, 'config');
  readonly dataDir = join(this.dir.path, 'data');

  constructor(config = 'docker:\n  network: mai-test\n') {
    mkdirSync(this.configDir, { recursive: true });
    this.writeConfig(config);
  }

  writeConfig(text: string): void {
    writeFileSync(join(this.configDir, 'config.yaml'), text);
  }

  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH, HOME: this.dir.path, MAI_CONFIG_DIR: this.configDir, MAI_DATA_DIR: this.dataDir, ...extra };
  }

  mai(args: string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<RunResult> {
    return run(process.execPath, [MAI_BIN, ...args], { env: this.env(options.env), input: options.input, timeoutMs: 300_000 });
  }

  remove(): void {
    this.dir.remove();
  }
}
