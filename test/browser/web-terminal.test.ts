/**
 * The web UI in real Chromium against `mai serve` and a real OpenID provider: sign in,
 * create a session from the page, a terminal that is the same tmux attach as `ssh -t`
 * (resize, reload, a second client), logs followed live, and the refusals: another
 * user's terminal, a page of another origin.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sshClientOptions } from '../helpers/serve-process.js';
import { eventually } from '../helpers/run.js';
import { openWebUiWorld, screenText, screenshot, signedInPage, typeLine, waitForScreen, type WebUiWorld } from './web-ui-world.js';

let world: WebUiWorld;
let alice: Page;
let sessionId = '';
let tmuxSocket = '';

test.before(async () => {
  world = await openWebUiWorld();
  tmuxSocket = join(world.dir, 'tmux.sock');
});

test.after(async () => {
  if (tmuxSocket) spawnSync('tmux', ['-S', tmuxSocket, 'kill-server']);
  await world?.close();
});

const say = (line: string) => process.stdout.write(`\n  [web-terminal] ${line}\n`);

test('sign in through the identity provider: an HttpOnly, SameSite=Lax cookie, never readable by the page', async () => {
  alice = await signedInPage(world, 'alice');
  assert.match(await alice.locator('header .who').innerText(), /alice/);
  const [cookie] = (await alice.context().cookies(world.url)).filter((c) => c.name === 'mai_session');
  assert.ok(cookie, 'the sign-in cookie');
  assert.is(cookie!.httpOnly, true);
  assert.is(cookie!.sameSite, 'Lax');
  assert.is(cookie!.secure, false, 'plain http here: Secure only under TLS');
  assert.is(await alice.evaluate(() => document.cookie.includes('mai_session')), false);
  await world.auditEvent((e) => e['event'] === 'auth.login' && e['user'] === 'alice' && e['client'] === 'browser', 'the browser login');
});

test('create a session from the page; echo $((6*7)) answers 42 in its terminal', async () => {
  await alice.locator('select[name=driver]').selectOption('web-shell');
  await alice.locator('input[name=name]').fill('webterm');
  await alice.getByRole('button', { name: 'Create' }).click();
  await alice.waitForURL(/#\/terminal\/[a-z0-9]{10}$/, { timeout: 120_000 });
  sessionId = alice.url().split('/').pop()!;
  // tmux's status line names the windows: the attach is the driver's (tool + shell).
  await waitForScreen(alice, /\[mai mai\].*tool/, 'tmux and its windows');
  await waitForScreen(alice, /\$\s*$/m, 'the prompt');
  await typeLine(alice, 'tmux list-windows -F "window #{window_index}: #{window_name}"; echo $((6*7))');
  const screen = await waitForScreen(alice, /^42\s*$/m, 'the answer');
  assert.match(screen, /echo \$\(\(6\*7\)\)/);
  const file = await screenshot(alice, 'web-terminal.png');
  // The README's picture: refreshed on request (MAI_UPDATE_SCREENSHOT=1), so test runs leave the tree clean.
  if (process.env['MAI_UPDATE_SCREENSHOT']) copyFileSync(file, new URL('../../api/ui/screenshot.png', import.meta.url).pathname);
  say(`screenshot: ${file}`);
  // For the reload test: rows that scroll off the screen, kept by tmux.
  await typeLine(alice, 'seq -f "row-%g" 1 300');
  await waitForScreen(alice, /^row-300\s*$/m, 'the rows');
  const opened = await world.auditEvent((e) => e['event'] === 'terminal.opened' && e['session'] === sessionId, 'terminal.opened');
  assert.is(opened['user'], 'alice');
});

test('resize the viewport: the terminal follows and stty size inside tmux says so', async () => {
  const size = async () => {
    await typeLine(alice, 'clear; stty size');
    const text = await waitForScreen(alice, /^\d+ \d+\s*$/m, 'stty size');
    const [rows, cols] = /^(\d+) (\d+)\s*$/m.exec(text)!.slice(1).map(Number);
    return { rows: rows!, cols: cols! };
  };
  const before = await size();
  await alice.setViewportSize({ width: 760, height: 420 });
  // The resize frame and the keystrokes race to the engine (a resize is an API call): ask until it shows.
  const after = await eventually(async () => {
    const domRows = await alice.locator('.xterm-rows > div').count();
    const now = await size();
    // tmux keeps one row for its status line.
    return now.cols < before.cols && now.rows === domRows - 1 ? now : undefined;
  }, 30_000, 'stty size to follow the viewport');
  assert.ok(after.rows < before.rows, `rows ${before.rows} -> ${after.rows}`);
  say(`stty size: ${before.rows}x${before.cols} -> ${after.rows}x${after.cols}`);
});

test('an ssh -t into the same session sees what the browser typed', async () => {
  const user = await world.sshUser('alice');
  const ssh = ['ssh', ...sshClientOptions(world.server.sshPort, world.knownHosts, user), '-t', 'alice@127.0.0.1', sessionId];
  const command = ssh.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  const tmux = (...args: string[]) => execFileSync('tmux', ['-S', tmuxSocket, ...args]).toString();
  tmux('new-session', '-d', '-x', '100', '-y', '30', command);
  await eventually(async () => /\[mai mai\]/.test(tmux('capture-pane', '-p')), 30_000, 'the ssh client to attach');
  await typeLine(alice, 'echo "from the browser: $((3*5))"');
  const seen = await eventually(async () => {
    const pane = tmux('capture-pane', '-p');
    // tmux draws the window at the browser's (smaller, most recently active) size: a border may follow.
    return /^from the browser: 15(\s|$)/m.test(pane) ? pane : undefined;
  }, 30_000, 'the ssh client to see the browser').catch((err: Error) => {
    throw new Error(`${err.message}\nssh shows:\n${tmux('capture-pane', '-p')}`);
  });
  assert.match(seen, /echo "from the browser: \$\(\(3\*5\)\)"/);
  tmux('kill-server');
  tmuxSocket = '';
});

test('reload the page: the tmux window is still there, with its scrollback', async () => {
  await alice.reload();
  const screen = await waitForScreen(alice, /\[mai mai\].*tool/, 'the tmux status line after the reload');
  assert.match(screen, /from the browser: 15/, 'the screen as it was');
  // The 300 rows printed before scrolled off the screen long ago; tmux kept them.
  await typeLine(alice, 'clear; tmux capture-pane -p -S - | grep -c "^row-"');
  await waitForScreen(alice, /^300\s*$/m, 'the scrollback count');
  const opens = world.audit().filter((e) => e['event'] === 'terminal.opened' && e['session'] === sessionId);
  assert.ok(opens.length >= 2, 'each attach is audited');
  const closed = await eventually(async () => world.audit().find((e) => e['event'] === 'terminal.closed' && e['session'] === sessionId), 10_000, 'terminal.closed');
  assert.is(closed['by'], 'client', 'the reload closed the first');
});

test('logs: a line printed in the session appears on the logs page (followed over a WebSocket)', async () => {
  const logs = await alice.context().newPage();
  await logs.goto(`${world.url}/ui/#/logs/${sessionId}`);
  await logs.getByText('following').waitFor();
  const marker = `log-marker-${Date.now()}`;
  await typeLine(alice, `echo ${marker} > /proc/1/fd/1`);
  const typed = Date.now();
  await logs.locator('#logs', { hasText: marker }).waitFor({ timeout: 30_000 });
  // Measured, not asserted (no timing assertions in npm test): the spec asks for under a second.
  say(`log line on the page ${Date.now() - typed} ms after Enter`);
  await logs.close();
});

test("bob's browser cannot open alice's terminal: closed with 4404, audited", async () => {
  const bob = await signedInPage(world, 'bob');
  await bob.goto(`${world.url}/ui/#/terminal/${sessionId}`);
  await bob.getByText(/no such session.*code 4404/).waitFor();
  const close = await bob.evaluate(
    (id) =>
      new Promise<{ code: number; reason: string }>((resolve) => {
        const socket = new WebSocket(`ws://${location.host}/sessions/${id}/terminal`, ['mai.v1']);
        socket.onclose = (event) => resolve({ code: event.code, reason: event.reason });
      }),
    sessionId,
  );
  assert.equal(close, { code: 4404, reason: 'SESSION_NOT_FOUND' });
  await world.auditEvent((e) => e['event'] === 'websocket.refused' && e['user'] === 'bob' && e['session'] === sessionId && e['code'] === 'SESSION_NOT_FOUND', "bob's refusal");
  assert.not.ok(world.audit().some((e) => e['event'] === 'terminal.opened' && e['user'] === 'bob'));
  await bob.context().close();
});

test("a page of another origin cannot open alice's terminal, though her cookie goes with it", async () => {
  // Another port of the same host is another origin but the same site: SameSite=Lax sends the cookie.
  const evil: Server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>'));
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  try {
    const page = await alice.context().newPage();
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const result = await page.evaluate(
      ({ port, id }) =>
        new Promise<{ opened: boolean; code: number }>((resolve) => {
          let opened = false;
          const socket = new WebSocket(`ws://127.0.0.1:${port}/sessions/${id}/terminal`, ['mai.v1']);
          socket.onopen = () => (opened = true);
          socket.onclose = (event) => resolve({ opened, code: event.code });
        }),
      { port: new URL(world.url).port, id: sessionId },
    );
    assert.equal(result, { opened: false, code: 1006 }, 'the handshake itself is refused');
    // Refused for its origin, with the cookie accepted (the user is known).
    const refused = await world.auditEvent((e) => e['event'] === 'websocket.refused' && e['code'] === 'AUTH_FORBIDDEN', 'the refusal');
    assert.is(refused['user'], 'alice');
    assert.match(String(refused['origin']), /^http:\/\/127\.0\.0\.1:\d+$/);
    await page.close();
  } finally {
    evil.close();
  }
});

test('sign out: the cookie is gone and the sign-in is revoked in the store', async () => {
  const [cookie] = (await alice.context().cookies(world.url)).filter((c) => c.name === 'mai_session');
  await alice.goto(`${world.url}/ui/#/`);
  await alice.getByRole('button', { name: 'Sign out' }).click();
  await alice.getByText('Sign in with your identity provider').waitFor();
  const replay = await fetch(`${world.url}/sessions`, { headers: { cookie: `mai_session=${cookie!.value}` } });
  assert.is(replay.status, 401, 'the old cookie value opens nothing');
  await world.auditEvent((e) => e['event'] === 'auth.logout' && e['user'] === 'alice', 'the logout');
  assert.ok(
    world.audit().some((e) => e['event'] === 'terminal.closed' && e['session'] === sessionId),
    'leaving the terminal page closed the attach',
  );
  assert.is((await screenTextOrNull(alice)) ?? '', '');
});

async function screenTextOrNull(page: Page): Promise<string | null> {
  return (await page.locator('.xterm-rows').count()) ? screenText(page) : null;
}

test.run();
