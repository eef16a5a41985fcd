import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The folder holding mai's package.json, found from this module whether it runs
 * from source (tsx) or from dist/. Built-in drivers live in `<root>/drivers`.
 */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'drivers', 'base'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('mai package root not found');
    dir = parent;
  }
}
