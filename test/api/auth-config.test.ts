import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { oidcSettings } from '../../gateway/auth/oidc-settings.js';
import { RateLimiter } from '../../api/rate-limiter.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { serviceConfigSchema } from '../../gateway/config/service-config.js';
import { thrownBy } from '../helpers/errors.js';

const auth = (section: Record<string, unknown>, env: Record<string, string> = {}) =>
  validateConfig(serviceConfigSchema, { auth: section }, 'mai-service.yaml', env).auth;


test('Authentik issuer is url + application slug; claims and group have Authentik defaults', () => {
  const settings = oidcSettings(auth({ provider: 'authentik', url: 'https://sso.example.com/', slug: 'mai', clientId: 'mai-service', clientSecret: '${SECRET}' }, { SECRET: 's3cret' }));
  assert.is(settings?.issuer.href, 'https://sso.example.com/application/o/mai/');
  assert.is(settings?.clientSecret, 's3cret');
  assert.is(settings?.usernameClaim, 'preferred_username');
  assert.is(settings?.groupsClaim, 'groups');
  assert.is(settings?.allowInsecureRequests, false);
  const explicit = oidcSettings(auth({ provider: 'oidc', issuer: 'https://idp.example/', clientId: 'c', clientSecret: 's', usernameClaim: 'email' }));
  assert.is(explicit?.issuer.href, 'https://idp.example/');
  assert.is(oidcSettings(auth({})), null, 'local is the default');
});

test('missing or unsafe OIDC settings fail at startup with the field named', () => {
  assert.match(thrownBy(() => oidcSettings(auth({ provider: 'authentik', url: 'https://sso.example.com' }))).message, /auth\.issuer/);
  assert.match(thrownBy(() => oidcSettings(auth({ provider: 'oidc', issuer: 'https://i/', clientSecret: 's' }))).message, /auth\.clientId/);
  const http = thrownBy(() => oidcSettings(auth({ provider: 'oidc', issuer: 'http://i/', clientId: 'c', clientSecret: 's' })));
  assert.is(http.code, 'CONFIG_INVALID');
  assert.match(http.message, /https/);
  assert.match(thrownBy(() => auth({ users: [{ name: 'alice', token: '${NOPE}' }] })).message, /auth\.users\.0\.token: environment variable NOPE/);
});

test('the rate limiter allows max hits per window per key', () => {
  let now = 0;
  const limiter = new RateLimiter(2, 60_000, () => now);
  assert.equal([limiter.hit('a'), limiter.hit('a'), limiter.hit('b')], [0, 0, 0]);
  assert.is(limiter.hit('a'), 60);
  now = 30_000;
  assert.is(limiter.hit('a'), 30);
  now = 60_000;
  assert.is(limiter.hit('a'), 0);
});

test.run();
