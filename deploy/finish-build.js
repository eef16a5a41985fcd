// After tsc: make the CLI entry executable so `npm link` / the bin works directly.
import { chmodSync } from 'node:fs';
chmodSync(new URL('../dist/cli/main.js', import.meta.url), 0o755);
