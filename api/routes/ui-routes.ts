import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyPluginAsync } from 'fastify';
import fastifyStatic from '@fastify/static';
import { MaiError } from '../../gateway/errors.js';

export interface UiRoutesOptions {
  /** The built UI (index.html, main.js, main.css): `dist/api/ui`, made by `npm run build`. */
  root: string;
}

/**
 * What every UI response says to the browser. Scripts and styles come only from
 * here (nothing from a CDN); xterm.js sets inline styles, hence 'unsafe-inline' for
 * styles only. No framing (a terminal under someone else's page is a clickjacking
 * target), no referrer (the callback URL carries a code).
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Revalidated on every load: a new build is picked up at once.
  'cache-control': 'no-cache',
};

/** The web UI as static files under /ui/, and `/` sending browsers there. */
export const uiRoutes: FastifyPluginAsync<UiRoutesOptions> = async (app, { root }) => {
  app.get('/', { schema: { summary: 'Redirects to the web UI' } }, async (_request, reply) => reply.redirect('/ui/', 302));
  if (!existsSync(join(root, 'index.html'))) {
    // Running from sources without a build: say so rather than 404 without a reason.
    app.get('/ui/*', { schema: { summary: 'The web UI (not built)' } }, async () => {
      throw new MaiError('ROUTE_NOT_FOUND', 'the web UI is not built here: run npm run build');
    });
    return;
  }
  await app.register(fastifyStatic, {
    root,
    prefix: '/ui/',
    redirect: true,
    index: ['index.html'],
    setHeaders: (reply) => {
      for (const [name, value] of Object.entries(SECURITY_HEADERS)) reply.header(name, value);
    },
  });
};
