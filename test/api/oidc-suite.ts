/**
 * The OIDC side against a real OpenID provider (oidc-provider, set up like an
 * Authentik application) and a real browser (Chromium): code + PKCE, device flow,
 * refresh with rotation and re-check at the provider, logout.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser, signInAndConsent, type TestBrowser } from '../helpers/browser.js';
import { IDP_CLIENT_ID, IDP_CLIENT_SECRET, startRedirectCatcher, startTestIdp, type TestIdp } from '../helpers/oidc-provider.js';
import { tempDir } from '../helpers/tmp.js';
import { hashToken } from '../../gateway/auth/opaque-token.js';
import { StoreUserDirectory } from '../../gateway/users/store-directory.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture, type StoreKind } from './api-fixture.js';

interface World {
  idp: TestIdp;
  catcher: Awaited<ReturnType<typeof startRedirectCatcher>>;
  api: ApiFixture;
  browser: TestBrowser;
}

/** The OIDC suite on one store kind. */
export function oidcSuite(kind: StoreKind): void {
  const test = suite(`OIDC login on ${kind}`);
  let opened: Promise<World> | null = null;
  /** Opened by the first test (hook errors are swallowed by uvu); a broken setup fails every test. */
  function world(): Promise<World> {
    opened ??= (async () => {
      const catcher = await startRedirectCatcher();
      const idp = await startTestIdp({ redirectUris: [catcher.uri] });
      const api = await openApiFixture(kind, {
        provider: 'authentik',
        url: idp.baseUrl,
        slug: 'mai',
        clientId: IDP_CLIENT_ID,
        clientSecret: IDP_CLIENT_SECRET,
        allowInsecureRequests: true,
        adminGroup: 'mai-admins',
        refreshTokenTtl: '1h',
        // Users come from the provider here; one local user stays, whose name the provider must not be able to take.
        users: [{ name: 'root', token: TOKENS.root, admin: true }],
      });
      const browser = await launchBrowser();
      return { idp, catcher, api, browser };
    })();
    return opened;
  }
  const keys = tempDir('mai-oidc-keys-');

  test.after(async () => {
    const w = await opened?.catch(() => null);
    if (w) {
      await w.browser.close().catch(() => undefined);
      await w.api.close().catch(() => undefined);
      await w.catcher.close();
      await w.idp.close();
    }
    keys.remove();
  });

  async function post(path: string, body?: object, token?: string) {
    const { api } = await world();
    return api.app.inject({ method: 'POST', url: path, ...(body ? { payload: body } : {}), headers: token ? bearer(token) : {} });
  }

  async function me(token: string) {
    const { api } = await world();
    return api.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
  }

  /** The whole browser login, as the CLI would drive it: /auth/login, the browser, /auth/callback. */
  async function browserLogin(user: string) {
    const { browser, catcher } = await world();
    const start = await post('/auth/login', { redirectUri: catcher.uri });
    assert.is(start.statusCode, 200, start.body);
    const { authorizationUrl, state, binding } = start.json();
    const page = await browser.page();
    await page.goto(authorizationUrl);
    await signInAndConsent(page, user);
    const query = await catcher.next();
    await page.context().close();
    assert.is(query['state'], state);
    // Whoever saw the redirect URL has the state and the code, not the binding: refused, and the flow stays the client's.
    const stolen = await post('/auth/callback', { ...query, binding: 'not-the-binding' });
    assert.equal([stolen.statusCode, stolen.json().code], [401, 'AUTH_FAILED']);
    assert.match(stolen.json().message, 'started by another client');
    return { query: { ...query, binding }, callback: await post('/auth/callback', { ...query, binding }) };
  }

  async function deviceLogin(user: string) {
    const { browser } = await world();
    const start = (await post('/auth/device')).json();
    const early = await post('/auth/device/token', { deviceCode: start.deviceCode });
    assert.is(early.json().code, 'AUTH_PENDING');
    const page = await browser.page();
    await page.goto(start.verificationUriComplete);
    await page.locator('button[type="submit"][form="op.deviceConfirmForm"]:not([name])').click();
    await page.waitForLoadState();
    await signInAndConsent(page, user);
    await page.waitForLoadState();
    let result = await post('/auth/device/token', { deviceCode: start.deviceCode });
    for (let i = 0; i < 50 && result.json().code === 'AUTH_PENDING'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      result = await post('/auth/device/token', { deviceCode: start.deviceCode });
    }
    await page.context().close();
    return { start, result };
  }

  test('code + PKCE login in a browser yields the server\'s own tokens; state is single-use', async () => {
    const start = (await post('/auth/login', { redirectUri: (await world()).catcher.uri })).json();
    const url = new URL(start.authorizationUrl);
    assert.is(url.searchParams.get('code_challenge_method'), 'S256');
    assert.ok(url.searchParams.get('nonce') && url.searchParams.get('state') === start.state);
    assert.is((await post('/auth/login', { redirectUri: 'https://evil.example/cb' })).statusCode, 400);

    const { query, callback } = await browserLogin('alice');
    assert.is(callback.statusCode, 200, callback.body);
    const tokens = callback.json();
    assert.equal({ user: tokens.user, admin: tokens.admin, type: tokens.tokenType }, { user: 'alice', admin: false, type: 'Bearer' });
    assert.match(tokens.accessToken, /^mai_at_/);
    assert.equal((await me(tokens.accessToken)).json(), { user: 'alice', admin: false });

    const replay = await post('/auth/callback', query);
    assert.is(replay.statusCode, 401);
    assert.is(replay.json().code, 'AUTH_FAILED');
    // Only hashes are stored.
    const { api } = await world();
    assert.is(await api.store.auth.findToken(tokens.accessToken), null);
    // The provider's refresh token is stored encrypted (libsodium AEAD), never as it came.
    const found = await api.store.auth.findToken(hashToken(tokens.accessToken));
    const sealed = found?.login.idpRefreshToken;
    assert.ok(sealed, 'the provider gave a refresh token');
    assert.match(sealed!, /^v1\.[A-Za-z0-9+/=]+$/);
  });

  test('a callback with a forged state is refused', async () => {
    const { query } = await browserLogin('alice');
    const forged = await post('/auth/callback', { ...query, state: 'forged-state' });
    assert.is(forged.statusCode, 401);
  });

  test('a user name belongs to the first account that logged in with it; local users cannot be claimed', async () => {
    const w = await world();
    assert.is((await browserLogin('erin')).callback.statusCode, 200);
    // Another account at the provider now says it is "erin" (a rename, a reused name): refused, audited.
    w.idp.usernames.set('erin-impostor', 'erin');
    const impostor = (await browserLogin('erin-impostor')).callback;
    assert.equal([impostor.statusCode, impostor.json().code], [403, 'AUTH_FORBIDDEN']);
    assert.match(impostor.json().message, 'belongs to another account');
    // "root" is a local user of this server's config: no provider account can become it.
    const local = (await browserLogin('root')).callback;
    assert.equal([local.statusCode, local.json().code], [403, 'AUTH_FORBIDDEN']);
    assert.match(local.json().message, 'local user');
    const refusals = w.api.auditLines().filter((e) => e.event === 'auth.identity_refused').map((e) => [e.user, e.reason]);
    assert.equal(refusals, [['erin', 'NAME_BOUND'], ['root', 'LOCAL_USER']]);
    // The first account keeps the name.
    assert.is((await browserLogin('erin')).callback.statusCode, 200);
  });

  test('device flow: pending until approved in a browser, then tokens once; admin from the group claim', async () => {
    (await world()).idp.groups.set('carol', ['staff', 'mai-admins']);
    const { start, result } = await deviceLogin('carol');
    assert.match(start.userCode, /\S/);
    assert.is(result.statusCode, 200, result.body);
    assert.equal({ user: result.json().user, admin: result.json().admin }, { user: 'carol', admin: true });
    assert.is((await post('/auth/device/token', { deviceCode: start.deviceCode })).statusCode, 401);
  });

  test('refresh rotates, re-checks the provider, and a reused refresh token revokes the login', async () => {
    const w = await world();
    w.idp.groups.set('dave', ['mai-admins']);
    const first = (await deviceLogin('dave')).result.json();
    assert.is(first.admin, true);

    w.idp.groups.set('dave', []); // the provider's answer changes; refresh must notice
    const second = await post('/auth/refresh', { refreshToken: first.refreshToken });
    assert.is(second.statusCode, 200, second.body);
    const rotated = second.json();
    assert.not.equal(rotated.refreshToken, first.refreshToken);
    assert.is(rotated.admin, false);
    assert.is((await me(rotated.accessToken)).json().admin, false);
    // The SSH gateway asks the same directory: it agrees at once.
    assert.is(await new StoreUserDirectory(w.api.config, w.api.store.auth).isAdmin('dave'), false);

    const reuse = await post('/auth/refresh', { refreshToken: first.refreshToken });
    assert.is(reuse.statusCode, 401);
    assert.is((await me(rotated.accessToken)).statusCode, 401, 'the whole login is revoked');
    assert.is((await post('/auth/refresh', { refreshToken: rotated.refreshToken })).statusCode, 401);

    const again = (await deviceLogin('dave')).result.json();
    w.idp.disabled.add('dave');
    const refused = await post('/auth/refresh', { refreshToken: again.refreshToken });
    assert.is(refused.statusCode, 401, refused.body);
    assert.is((await me(again.accessToken)).statusCode, 401);
  });

  test('certificates live no longer than the login; logout kills the tokens and the certificate serials', async () => {
    const w = await world();
    const tokens = (await browserLogin('erin')).callback.json();
    const keyFile = join(keys.path, 'erin');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const cert = (await post('/auth/ssh-cert', { publicKey: readFileSync(`${keyFile}.pub`, 'utf8') }, tokens.accessToken)).json();
    assert.is(cert.principal, 'erin');
    const minutes = (Date.parse(cert.validBefore) - Date.now()) / 60_000;
    assert.ok(minutes > 55 && minutes <= 60, `bounded by the 1h login, got ${minutes} min`);

    assert.is((await post('/auth/logout', {}, tokens.accessToken)).statusCode, 204);
    assert.is((await me(tokens.accessToken)).statusCode, 401);
    assert.is((await post('/auth/refresh', { refreshToken: tokens.refreshToken })).statusCode, 401);
    assert.is(await w.api.store.auth.isSerialRevoked(BigInt(cert.serial)), true);
  });

  test.run();
}
