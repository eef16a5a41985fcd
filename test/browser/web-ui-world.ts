/**
 * What the web UI tests run against: `mai serve` (in this process, startServer) with a
 * real OpenID provider whose client knows the UI's callback, a driver whose attach is
 * tmux (tool + shell windows), Chromium, and helpers to read and type into xterm.js.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { silentLogger } from '../../gateway/log.js';
import { startServer, type RunningServer } from '../../gateway/server.js';
import { launchBrowser, signInAndConsent, type TestBrowser } from '../helpers/browser.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { freePort } from '../helpers/remote-world.js';
import { eventually, run } from '../helpers/run.js';
import type { SshUser } from '../helpers/serve-process.js';
import { tempDir } from '../helpers/tmp.js';

export const WEB_SHELL_DRIVER = new URL('./web-shell-driver/', import.meta.url).pathname;
/** Where tests leave what a person would look at (screenshots); git ignores it. */
export const TEST_OUTPUT = new URL('../../.tmp/test-output/', import.meta.url).pathname;

export interface WebUiWorld {
  idp: TestIdp;
  server: RunningServer;
  browser: TestBrowser;
  /** `http://127.0.0.1:PORT`, also the configured `server.publicUrl`. */
  url: string;
  dir: string;
  /** The audit log's events so far. */
  audit(): Array<Record<string, unknown>>;
  /** The first audit event that `match`es, waiting for it (the log is written asynchronously). */
  auditEvent(match: (event: Record<string, unknown>) => boolean, what: string): Promise<Record<string, unknown>>;
  /** A key and a certificate from the server's CA, for the real `ssh`. */
  sshUser(name: string): Promise<SshUser>;
  knownHosts: string;
  close(): Promise<void>;
}

export async function openWebUiWorld(): Promise<WebUiWorld> {
  const dir = tempDir('mai-web-ui-');
  const httpPort = await freePort();
  const url = `http://127.0.0.1:${httpPort}`;
  const idp = await startTestIdp({ redirectUris: [`${url}/ui/auth/callback`] });
  const auditFile = join(dir.path, 'audit.log');
  const config = validateConfig(
    serviceConfigSchema,
    {
      server: { host: '127.0.0.1', publicUrl: url },
      ssh: { host: '127.0.0.1' },
      docker: { network: 'mai-test' },
      drivers: [{ name: 'web-shell', dir: WEB_SHELL_DRIVER }],
      logging: { audit: auditFile },
      auth: { provider: 'oidc', issuer: idp.issuer, clientId: IDP_CLIENT_ID, clientSecret: IDP_CLIENT_SECRET, allowInsecureRequests: true, rateLimit: { max: 1000 } },
    },
    'test',
    {},
  );
  const server = await startServer({ config, dataDir: join(dir.path, 'data'), sshPort: 0, httpPort, log: silentLogger });
  const knownHosts = join(dir.path, 'known_hosts');
  writeFileSync(knownHosts, `[127.0.0.1]:${server.sshPort} ${server.hostKeyLine}\n`);
  const browser = await launchBrowser();
  const audit = () =>
    readFileSync(auditFile, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return {
    idp,
    server,
    browser,
    url,
    dir: dir.path,
    knownHosts,
    audit,
    auditEvent: (match, what) => eventually(async () => audit().find(match), 10_000, `audit: ${what}`),
    async sshUser(name) {
      const key = join(dir.path, `${name}_ed25519`);
      await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', key]);
      const issued = server.ca.issue({ user: name, publicKey: readFileSync(`${key}.pub`, 'utf8'), ttlSeconds: 3600 });
      writeFileSync(`${key}-cert.pub`, `${issued.certificate}\n`);
      return { name, key, cert: `${key}-cert.pub` };
    },
    async close() {
      await browser.close().catch(() => undefined);
      const everyone = { name: 'test-cleanup', admin: true };
      for (const session of await server.sessions.list(everyone, { all: true })) await server.sessions.close(session).catch(() => undefined);
      await server.close(0).catch(() => undefined);
      await idp.close();
      dir.remove();
    },
  };
}

/** A fresh browser profile signed in as `user` through the UI's button and the provider's pages. */
export async function signedInPage(world: WebUiWorld, user: string): Promise<Page> {
  const page = await world.browser.page();
  await page.goto(`${world.url}/`);
  await page.getByText('Sign in with your identity provider').click();
  await signInAndConsent(page, user);
  await page.getByRole('heading', { name: 'Your sessions' }).waitFor();
  return page;
}

/** What xterm.js shows now, one line per row (its DOM renderer pads with no-break spaces). */
export async function screenText(page: Page): Promise<string> {
  return (await page.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
}

export async function waitForScreen(page: Page, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = await screenText(page);
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the terminal shows:\n${text}`);
    await page.waitForTimeout(100);
  }
}

/** Types a line into the terminal as a person would (keyboard events into xterm's textarea). */
export async function typeLine(page: Page, line: string): Promise<void> {
  await page.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(line);
  await page.keyboard.press('Enter');
}

/** Saves a screenshot under the test output folder; returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(TEST_OUTPUT, { recursive: true });
  const file = join(TEST_OUTPUT, name);
  await page.screenshot({ path: file });
  return file;
}
