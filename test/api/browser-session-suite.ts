/**
 * The web UI's sign-in with `auth.provider: local` (a token typed into the page),
 * on each store: the cookie it sets, CSRF on changes made with it, the Origin check
 * on sign-in, and revocation by logout on every path. Requests through `inject()`.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { hashToken } from '../../gateway/auth/opaque-token.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture, type StoreKind } from './api-fixture.js';

const PUBLIC_URL = 'https://mai.example.test';

export function browserSessionSuite(kind: StoreKind): void {
  let fixture: ApiFixture;
  test.before(async () => {
    // Behind TLS (a proxy): cookies must be Secure, and pages must come from this origin.
    fixture = await openApiFixture(kind, {}, { server: { publicUrl: PUBLIC_URL } });
  });
  test.after(async () => fixture?.close());

  const inject = (method: string, url: string, headers: Record<string, string> = {}, body?: unknown) =>
    fixture.app.inject({ method: method as 'GET', url, headers, ...(body === undefined ? {} : { payload: body as object }) });

  /** Signs in with a configured token as the page does; returns the cookie value and the CSRF token. */
  async function signIn(token: string): Promise<{ cookie: string; csrf: string; setCookie: string }> {
    const response = await inject('POST', '/ui/auth/token', {}, { token });
    assert.is(response.statusCode, 200, response.body);
    const setCookie = String(response.headers['set-cookie']);
    const cookie = /mai_session=([^;]+)/.exec(setCookie)![1]!;
    return { cookie, csrf: response.json().csrfToken, setCookie };
  }

  test(`${kind}: signed out, the page learns to ask for a token`, async () => {
    const response = await inject('GET', '/ui/auth/session');
    assert.equal(response.json(), { signIn: 'token', user: null, admin: false, csrfToken: null });
    assert.is(response.headers['cache-control'], 'no-store');
  });

  test(`${kind}: a configured token signs in; the cookie is HttpOnly, SameSite=Lax, Secure, and stored only as a hash`, async () => {
    assert.is((await inject('POST', '/ui/auth/token', {}, { token: 'not-a-configured-token-at-all' })).statusCode, 401);
    const { cookie, setCookie } = await signIn(TOKENS.alice);
    assert.match(cookie, /^mai_bs_[A-Za-z0-9_-]{43}$/);
    for (const part of ['Path=/', 'HttpOnly', 'SameSite=Lax', 'Secure']) assert.ok(setCookie.includes(part), `${part} in ${setCookie}`);
    const stored = await fixture.store.auth.findToken(hashToken(cookie));
    assert.is(stored?.token.kind, 'browser');
    assert.is(stored?.login.provider, 'local');
    assert.is(stored?.login.user, 'alice');
    const me = (await inject('GET', '/ui/auth/session', { cookie: `mai_session=${cookie}` })).json();
    assert.is(me.user, 'alice');
    assert.match(me.csrfToken, /^[A-Za-z0-9_-]{43}$/);
  });

  test(`${kind}: another site cannot sign this browser in (Origin checked on the token form)`, async () => {
    const response = await inject('POST', '/ui/auth/token', { origin: 'https://evil.example' }, { token: TOKENS.alice });
    assert.is(response.statusCode, 403);
    assert.is(response.json().code, 'AUTH_FORBIDDEN');
    assert.is(response.headers['set-cookie'], undefined);
    assert.is((await inject('POST', '/ui/auth/token', { origin: PUBLIC_URL }, { token: TOKENS.alice })).statusCode, 200);
  });

  test(`${kind}: the cookie reads the API; changes need the CSRF token in a header`, async () => {
    const { cookie, csrf } = await signIn(TOKENS.alice);
    const headers = { cookie: `mai_session=${cookie}` };
    assert.is((await inject('GET', '/sessions', headers)).statusCode, 200);
    for (const presented of [undefined, 'wrong', csrf.slice(0, -1)]) {
      const response = await inject('DELETE', '/sessions/nosuchsess', { ...headers, ...(presented ? { 'x-csrf-token': presented } : {}) });
      assert.is(response.statusCode, 403, `CSRF ${presented}`);
      assert.is(response.json().code, 'AUTH_FORBIDDEN');
    }
    // Past the check, the request reaches the core (which has no such session).
    assert.is((await inject('DELETE', '/sessions/nosuchsess', { ...headers, 'x-csrf-token': csrf })).statusCode, 404);
    // Bob's CSRF token does not go with alice's cookie.
    const bob = await signIn(TOKENS.bob);
    assert.is((await inject('DELETE', '/sessions/nosuchsess', { ...headers, 'x-csrf-token': bob.csrf })).statusCode, 403);
  });

  test(`${kind}: only browser tokens open as a cookie; a static or API token there does not`, async () => {
    assert.is((await inject('GET', '/sessions', { cookie: `mai_session=${TOKENS.alice}` })).statusCode, 401);
    assert.is((await inject('GET', '/sessions', { cookie: 'mai_session=mai_bs_forged' })).statusCode, 401);
    // And a browser token is not a bearer token.
    const { cookie } = await signIn(TOKENS.alice);
    assert.is((await inject('GET', '/sessions', bearer(cookie))).statusCode, 401);
  });

  test(`${kind}: sign out revokes the sign-in in the store and clears the cookie`, async () => {
    const { cookie, csrf } = await signIn(TOKENS.alice);
    const other = await signIn(TOKENS.alice);
    const headers = { cookie: `mai_session=${cookie}` };
    assert.is((await inject('POST', '/ui/auth/logout', headers)).statusCode, 403, 'logout is a change: CSRF too');
    const out = await inject('POST', '/ui/auth/logout', { ...headers, 'x-csrf-token': csrf });
    assert.is(out.statusCode, 204);
    assert.match(String(out.headers['set-cookie']), /mai_session=; Path=\/; Max-Age=0/);
    assert.is((await inject('GET', '/sessions', headers)).statusCode, 401);
    assert.is((await inject('GET', '/ui/auth/session', headers)).json().user, null);
    assert.is((await inject('GET', '/sessions', { cookie: `mai_session=${other.cookie}` })).statusCode, 200, "another browser's sign-in stays");
  });

  test(`${kind}: logging out everywhere through the API ends the browser sign-ins too`, async () => {
    const { cookie } = await signIn(TOKENS.bob);
    assert.is((await inject('POST', '/auth/logout', { ...bearer(TOKENS.bob), 'content-type': 'application/json' }, { everywhere: true })).statusCode, 204);
    assert.is((await inject('GET', '/sessions', { cookie: `mai_session=${cookie}` })).statusCode, 401);
  });

  test(`${kind}: the UI is served under /ui/ with a strict policy; / goes there`, async () => {
    const root = await inject('GET', '/');
    assert.is(root.statusCode, 302);
    assert.is(root.headers['location'], '/ui/');
    const page = await inject('GET', '/ui/');
    assert.is(page.statusCode, 200);
    assert.match(page.body, /<script type="module" src="main.js">/);
    assert.match(String(page.headers['content-security-policy']), /script-src 'self';.*frame-ancestors 'none'/);
    assert.is(page.headers['x-frame-options'], 'DENY');
    const script = await inject('GET', '/ui/main.js');
    assert.is(script.statusCode, 200);
    assert.match(String(script.headers['content-type']), /javascript/);
  });
  test.run();
}
