/**
 * The two ways `mai -r NAME auth` logs in through the server (the server is the
 * OIDC relying party): a browser sent back to a loopback listener of this CLI
 * (RFC 8252 §7.3; the server keeps the PKCE verifier), or the device-code flow.
 * Both end with the server's own token pair.
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Env } from '../../gateway/config/load-yaml.js';
import { MaiError } from '../../gateway/errors.js';
import type { ApiClient } from './api-client.js';
import type { TokenPair } from './stored-login.js';

const say = (line: string) => process.stderr.write(`${line}\n`);

export interface BrowserLoginOptions {
  /** Port of the loopback listener; 0 = any free port (providers that pin redirect URIs need a fixed one). */
  callbackPort: number;
  /** Try to open the system browser (otherwise only print the URL). */
  openBrowser: boolean;
  env: Env;
}

export async function browserLogin(api: ApiClient, options: BrowserLoginOptions): Promise<TokenPair> {
  const listener = await listenLoopback(options.callbackPort);
  try {
    const redirectUri = `http://127.0.0.1:${listener.port}/callback`;
    const start = await api.json<{ authorizationUrl: string; state: string; binding: string; expiresIn: number }>('POST', '/auth/login', { body: { redirectUri } });
    say(`Open this URL in a browser to log in to "${api.remote.name}":`);
    say(`  ${start.authorizationUrl}`);
    if (options.openBrowser) openInBrowser(start.authorizationUrl, options.env);
    say('Waiting for the browser...');
    const query = await listener.waitFor(start.state, start.expiresIn * 1000);
    if (query.error) throw new MaiError('AUTH_FAILED', `the identity provider refused the login (${query.error}${query.error_description ? `: ${query.error_description}` : ''})`);
    const { state, code, iss, session_state } = query;
    return await api.json<TokenPair>('POST', '/auth/callback', {
      // The binding proves this CLI started the login: the state and code alone, seen in a URL, do not finish it.
      body: { state, code, binding: start.binding, ...(iss ? { iss } : {}), ...(session_state ? { session_state } : {}) },
    });
  } finally {
    await listener.close();
  }
}

export async function deviceLogin(api: ApiClient): Promise<TokenPair> {
  const start = await api.json<{ deviceCode: string; userCode: string; verificationUri: string; verificationUriComplete?: string; expiresIn: number; interval: number }>(
    'POST',
    '/auth/device',
  );
  say(`To log in to "${api.remote.name}", open ${start.verificationUri} and enter the code ${start.userCode}`);
  if (start.verificationUriComplete) say(`  (or open ${start.verificationUriComplete})`);
  say('Waiting for approval...');
  let interval = Math.max(1, start.interval) * 1000;
  const deadline = Date.now() + start.expiresIn * 1000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, interval));
    try {
      return await api.json<TokenPair>('POST', '/auth/device/token', { body: { deviceCode: start.deviceCode } });
    } catch (err) {
      if (!(err instanceof MaiError) || (err.code !== 'AUTH_PENDING' && err.code !== 'RATE_LIMITED')) throw err;
      // RFC 8628 §3.5: slow_down (and our rate limit) mean "wait 5 seconds longer from now on".
      if (err.code === 'RATE_LIMITED' || /slow down/.test(err.message)) interval += 5000;
    }
  }
  throw new MaiError('AUTH_FAILED', 'the device code expired before the login was approved; run auth again');
}

interface Listener {
  port: number;
  waitFor(state: string, timeoutMs: number): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/**
 * One-shot HTTP listener on 127.0.0.1 for the redirect. Only a request carrying the
 * state of this login counts: another local page cannot feed us its own code.
 */
async function listenLoopback(port: number): Promise<Listener> {
  let expected: string | null = null;
  let deliver: ((query: Record<string, string>) => void) | null = null;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    if (url.pathname !== '/callback' || !expected || query.state !== expected) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not a login in progress\n');
      return;
    }
    const done = query.error ? `login failed (${query.error}); see your terminal` : 'logged in to mai; you can close this page and return to your terminal';
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' }).end(`${done}\n`);
    deliver?.(query);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new MaiError('INPUT_INVALID', `cannot listen on 127.0.0.1:${port} for the login redirect (${err.code ?? 'error'})`, { cause: err })),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    port: (server.address() as AddressInfo).port,
    waitFor(state, timeoutMs) {
      expected = state;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new MaiError('AUTH_FAILED', 'the browser login timed out; run auth again')), timeoutMs);
        deliver = (query) => {
          clearTimeout(timer);
          resolve(query);
        };
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** $BROWSER, else the desktop's opener; a failure only means the user opens the printed URL. */
function openInBrowser(url: string, env: Env): void {
  const command = env.BROWSER ?? (process.platform === 'darwin' ? 'open' : env.DISPLAY || env.WAYLAND_DISPLAY ? 'xdg-open' : null);
  if (!command) return;
  try {
    const child = spawn(command, [url], { stdio: 'ignore', detached: true });
    child.on('error', () => undefined);
    child.unref();
  } catch {
    // printed above
  }
}
