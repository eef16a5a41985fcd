// The web UI's build (run by `npm run build`): api/ui/*.ts bundled by esbuild, with
// xterm.js and its CSS, into dist/api/ui, beside index.html. Nothing is loaded from
// a CDN: the server serves these files itself. Type-checking is tsc's (api/ui/tsconfig.json).
import { copyFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const here = new URL('./', import.meta.url);
const out = new URL('../../dist/api/ui/', import.meta.url);
mkdirSync(out, { recursive: true });
await build({
  entryPoints: [new URL('main.ts', here).pathname],
  outdir: out.pathname,
  bundle: true,
  format: 'esm',
  target: ['es2022'],
  minify: true,
  sourcemap: true,
  legalComments: 'linked',
  logLevel: 'warning',
});
copyFileSync(new URL('index.html', here), new URL('index.html', out));
