/**
 * A login ends `auth.maxLoginHours` after it began, however it is kept alive. Shown
 * with a web sign-in (a login like any other) on a server whose maximum is 2 seconds.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { openApiFixture, TOKENS, type ApiFixture } from './api-fixture.js';

let fixture: ApiFixture;
test.before(async () => {
  fixture = await openApiFixture('sqlite', { maxLoginHours: 2 / 3600, browserSessionTtl: '1h' });
});
test.after(async () => fixture?.close());

test('a sign-in that would last an hour ends at the server maximum; then the user signs in again', async () => {
  const signIn = await fixture.app.inject({ method: 'POST', url: '/ui/auth/token', payload: { token: TOKENS.alice } });
  assert.is(signIn.statusCode, 200, signIn.body);
  const cookie = /mai_session=([^;]+)/.exec(String(signIn.headers['set-cookie']))![1]!;
  const session = () => fixture.app.inject({ method: 'GET', url: '/sessions', headers: { cookie: `mai_session=${cookie}` } });
  assert.is((await session()).statusCode, 200);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  const after = await session();
  assert.equal([after.statusCode, after.json().code], [401, 'AUTH_FAILED']);
});

test.run();
