/**
 * What remote-mode CLI tests need around the spawned `mai`: a real OpenID provider,
 * `mai serve` in this process (startServer) with it as identity provider, Chromium,
 * and a fixed loopback port for the CLI's login redirect (the provider pins redirect URIs).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { silentLogger, type Logger } from '../../gateway/log.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { launchBrowser, signInAndConsent, type TestBrowser } from './browser.js';
import { MAI_BIN } from './cli.js';
import { freePort } from './free-port.js';
import { spawnLive } from './live-process.js';
import type { RunResult } from './run.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, startTestIdp, type TestIdp } from './oidc-provider.js';
import { tempDir } from './tmp.js';

export { freePort };

export interface RemoteWorld {
  idp: TestIdp;
  server: RunningServer;
  browser: TestBrowser;
  /** `http://127.0.0.1:PORT` of the REST API. */
  url: string;
  callbackPort: number;
  close(): Promise<void>;
}

/**
 * `mai -r REMOTE auth` in a browser, as a user does it: the CLI prints the login URL,
 * Chromium signs `user` in, the provider redirects to the CLI's loopback listener.
 */
export async function cliBrowserLogin(world: RemoteWorld, env: NodeJS.ProcessEnv, user: string, remote = 't'): Promise<RunResult> {
  const login = spawnLive(process.execPath, [MAI_BIN, '-r', remote, 'auth', '--callback-port', String(world.callbackPort), '--no-browser'], env);
  const [url] = await login.waitFor(/http:\/\/127\.0\.0\.1:\d+\/application\/o\/mai\/auth\?\S+/);
  const page = await world.browser.page();
  await page.goto(url!);
  await signInAndConsent(page, user);
  const done = await login.done;
  await page.context().close();
  return done;
}

/** `log` receives the server's operational log lines (default: none). */
export async function openRemoteWorld(auth: Record<string, unknown>, log: Logger = silentLogger): Promise<RemoteWorld> {
  const dir = tempDir('mai-remote-server-');
  const callbackPort = await freePort();
  const idp = await startTestIdp({ redirectUris: [`http://127.0.0.1:${callbackPort}/callback`] });
  const config = validateConfig(
    serviceConfigSchema,
    {
      server: { host: '127.0.0.1' },
      ssh: { host: '127.0.0.1' },
      docker: { network: 'mai-test' },
      auth: {
        provider: 'oidc',
        issuer: idp.issuer,
        clientId: IDP_CLIENT_ID,
        clientSecret: IDP_CLIENT_SECRET,
        allowInsecureRequests: true,
        rateLimit: { max: 1000 },
        ...auth,
      },
    },
    'test',
    {},
  );
  const server = await startServer({ config, dataDir: join(dir.path, 'data'), sshPort: 0, httpPort: 0, log });
  const browser = await launchBrowser();
  return {
    idp,
    server,
    browser,
    url: `http://127.0.0.1:${server.httpPort}`,
    callbackPort,
    async close() {
      await browser.close().catch(() => undefined);
      await server.close(0).catch(() => undefined);
      await idp.close();
      dir.remove();
    },
  };
}

/** Plain `ssh` with a written config; async, since the gateway runs in this process. */
export function ssh(args: string[], input = ''): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('ssh', ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=10', ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      const code = (err as { code?: unknown } | null)?.code;
      resolve({ status: err ? (typeof code === 'number' ? code : -1) : 0, stdout, stderr });
    });
    child.stdin?.end(input);
  });
}
