/**
 * The REST endpoints against one store kind; the same suite runs on SQLite and on
 * PostgreSQL. The fixture is opened inside the first test that needs it (not in a
 * hook, whose errors uvu swallows), so a missing database fails every test.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { get as httpGet, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { tempDir } from '../helpers/tmp.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture, type StoreKind } from './api-fixture.js';

export function endpointSuite(kind: StoreKind): void {
  const test = suite(`REST endpoints on ${kind}`);
  let opened: Promise<ApiFixture> | null = null;
  const fixture = () => (opened ??= openApiFixture(kind));
  const keys = tempDir('mai-api-keys-');
  let sessionId = '';
  test.after(async () => {
    const f = await opened?.catch(() => null);
    // A failed sessions test may leave its session behind: close it with the container.
    if (f && sessionId) await f.sessions.close(await f.sessions.find({ name: 'root', admin: true }, sessionId)).catch(() => undefined);
    await f?.close().catch(() => undefined);
    keys.remove();
  });

  const inject = async (method: string, url: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => {
    const { app } = await fixture();
    return app.inject({
      method: method as 'GET',
      url,
      headers: { ...(token ? bearer(token) : {}), ...headers },
      ...(body === undefined ? {} : typeof body === 'string' ? { payload: body } : { payload: body as object }),
    });
  };

  test('health, readiness, metrics and the OpenAPI document are public', async () => {
    assert.is((await inject('GET', '/healthz')).json().status, 'ok');
    assert.is((await inject('GET', '/readyz')).statusCode, 200);
    const doc = (await inject('GET', '/openapi.json')).json();
    assert.is(doc.openapi, '3.1.0');
    for (const path of ['/auth/login', '/auth/callback', '/auth/refresh', '/auth/logout', '/auth/device', '/auth/device/token', '/auth/ssh-cert', '/sessions', '/sessions/{id}', '/sessions/{id}/connect', '/sessions/{id}/logs', '/sessions/{id}/terminal', '/drivers', '/drivers/{name}']) {
      assert.ok(doc.paths[path], `openapi lists ${path}`);
    }
    const create = doc.paths['/sessions'].post;
    assert.is(create.requestBody.content['application/json'].schema.additionalProperties, false);
    assert.equal(create.security, [{ bearer: [] }, { browserSession: [] }]);
    // Both WebSocket routes: the upgrade, the subprotocol, and the bearer that travels in it.
    for (const path of ['/sessions/{id}/terminal', '/sessions/{id}/logs']) {
      const ws = doc.paths[path].get;
      assert.ok(ws.responses['101'], `${path}: 101 Switching Protocols`);
      assert.is(ws['x-websocket'].subprotocol, 'mai.v1');
      assert.equal(ws.security[0], { websocketBearer: [] });
    }
    assert.is(doc.components.securitySchemes.websocketBearer.name, 'Sec-WebSocket-Protocol');
    const metrics = await inject('GET', '/metrics');
    assert.match(metrics.headers['content-type'] as string, /^text\/plain/);
    assert.match(metrics.body, /mai_http_requests_total\{method="GET",route="\/healthz",status="200"\} 1/);
  });

  test('every protected route wants a valid bearer token', async () => {
    const routes: [string, string][] = [
      ['GET', '/sessions'], ['POST', '/sessions'], ['GET', '/sessions/x'], ['DELETE', '/sessions/x'],
      ['POST', '/sessions/x/connect'], ['GET', '/sessions/x/logs'], ['GET', '/drivers'], ['GET', '/drivers/base'],
      ['POST', '/auth/logout'], ['POST', '/auth/ssh-cert'], ['GET', '/auth/me'],
    ];
    for (const [method, url] of routes) {
      const none = await inject(method, url);
      assert.is(none.statusCode, 401, `${method} ${url} without token`);
      assert.equal(none.json(), { code: 'AUTH_REQUIRED', message: none.json().message });
      assert.is(none.headers['www-authenticate'], 'Bearer');
      const wrong = await inject(method, url, 'not-a-token-at-all');
      assert.is(wrong.json().code, 'AUTH_FAILED', `${method} ${url} with a wrong token`);
    }
    assert.equal((await inject('GET', '/auth/me', TOKENS.root)).json(), { user: 'root', admin: true });
  });

  test('malformed bodies, wrong types, unknown fields and oversized bodies get documented errors', async () => {
    const json = { 'content-type': 'application/json' };
    const broken = await inject('POST', '/sessions', TOKENS.alice, '{"name": ', json);
    assert.is(broken.statusCode, 400);
    assert.is(broken.json().code, 'INPUT_INVALID');

    const wrongType = await inject('POST', '/sessions', TOKENS.alice, { name: 5, limits: { cpus: 'many' } });
    assert.is(wrongType.statusCode, 400);
    const paths = wrongType.json().fields.map((f: { path: string }) => f.path);
    assert.ok(paths.includes('body.name') && paths.includes('body.limits.cpus'), JSON.stringify(paths));

    const unknown = await inject('POST', '/sessions', TOKENS.alice, { name: 'ok', owner: 'bob' });
    assert.is(unknown.statusCode, 400);
    assert.equal(unknown.json().fields, [{ path: 'body.owner', message: 'unknown field' }]);

    // A driver folder is the domain's refusal on a server, the same for every front end.
    const pathDriver = await inject('POST', '/sessions', TOKENS.alice, { driver: '/etc' });
    assert.equal([pathDriver.statusCode, pathDriver.json().code], [403, 'AUTH_FORBIDDEN']);

    const huge = await inject('POST', '/sessions', TOKENS.alice, { env: { BIG: 'x'.repeat(300 * 1024) } });
    assert.is(huge.statusCode, 413);
    assert.is(huge.json().code, 'BODY_TOO_LARGE');
    const hugeAuth = await inject('POST', '/auth/ssh-cert', TOKENS.alice, { publicKey: 'x'.repeat(20 * 1024) });
    assert.is(hugeAuth.statusCode, 413);

    const text = await inject('POST', '/sessions', TOKENS.alice, 'name=x', { 'content-type': 'text/plain' });
    assert.is(text.statusCode, 415);
    assert.is(text.json().code, 'MEDIA_TYPE_UNSUPPORTED');

    const query = await inject('GET', '/sessions?all=perhaps', TOKENS.alice);
    assert.equal(query.json().fields.map((f: { path: string }) => f.path), ['query.all']);
    assert.is((await inject('GET', '/sessions?colour=red', TOKENS.alice)).statusCode, 400);
    assert.is((await inject('GET', '/nowhere', TOKENS.alice)).json().code, 'ROUTE_NOT_FOUND');
  });

  test('drivers are listed and looked up by name only', async () => {
    const list = (await inject('GET', '/drivers', TOKENS.alice)).json();
    assert.ok(list.drivers.some((d: { name: string }) => d.name === 'base'));
    const base = await inject('GET', '/drivers/base', TOKENS.alice);
    assert.is(base.json().name, 'base');
    const missing = await inject('GET', '/drivers/nope', TOKENS.alice);
    assert.is(missing.statusCode, 404);
    assert.is(missing.json().code, 'DRIVER_NOT_FOUND');
    assert.is((await inject('GET', '/drivers/..%2Fetc', TOKENS.alice)).statusCode, 400);
  });

  test('ssh-cert signs for the caller only, records the serial, and logout revokes it', async () => {
    const f = await fixture();
    const keyFile = join(keys.path, 'id_ed25519');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', keyFile]);
    const publicKey = readFileSync(`${keyFile}.pub`, 'utf8');
    const spoof = await inject('POST', '/auth/ssh-cert', TOKENS.bob, { publicKey, principal: 'alice' });
    assert.equal(spoof.json().fields, [{ path: 'body.principal', message: 'unknown field' }]);
    const bad = await inject('POST', '/auth/ssh-cert', TOKENS.bob, { publicKey: 'ssh-ed25519 nonsense' });
    assert.is(bad.statusCode, 400);

    const issued = await inject('POST', '/auth/ssh-cert', TOKENS.bob, { publicKey });
    assert.is(issued.statusCode, 200, issued.body);
    const cert = issued.json();
    assert.is(cert.principal, 'bob');
    writeFileSync(`${keyFile}-cert.pub`, cert.certificate);
    const listing = execFileSync('ssh-keygen', ['-L', '-f', `${keyFile}-cert.pub`], { encoding: 'utf8' });
    assert.match(listing, new RegExp(`Serial: ${cert.serial}`));
    assert.match(listing, /Principals: \n\s+bob\n/);
    const hours = (Date.parse(cert.validBefore) - Date.now()) / 3600_000;
    assert.ok(hours > 7.9 && hours <= 8, `8h maximum, got ${hours}`);
    assert.is(await f.store.auth.isSerialRevoked(BigInt(cert.serial)), false);

    assert.is((await inject('POST', '/auth/logout', TOKENS.bob)).statusCode, 204);
    assert.is(await f.store.auth.isSerialRevoked(BigInt(cert.serial)), true);
    // What the gateway's check is given: revoked serials still inside their validity.
    assert.ok((await f.store.auth.revokedSerials(new Date().toISOString())).has(BigInt(cert.serial)));
    assert.not.ok((await f.store.auth.revokedSerials(new Date(Date.now() + 9 * 3600_000).toISOString())).has(BigInt(cert.serial)));
    // A configured token is config, not a login: it keeps working after logout.
    assert.is((await inject('GET', '/auth/me', TOKENS.bob)).statusCode, 200);
  });

  test('OIDC routes answer clearly when the provider is local', async () => {
    const res = await inject('POST', '/auth/login', undefined, { redirectUri: 'http://127.0.0.1:1/cb' });
    assert.is(res.statusCode, 400);
    assert.match(res.json().message, /auth\.provider is local/);
    assert.is((await inject('POST', '/auth/refresh', undefined, { refreshToken: 'mai_rt_nope' })).json().code, 'AUTH_FAILED');
  });

  test('sessions: owners reach theirs, other users get 404 on every route, admins reach all', async () => {
    const created = await inject('POST', '/sessions', TOKENS.alice, { name: `api-${kind}` });
    assert.is(created.statusCode, 201, created.body);
    const session = created.json();
    sessionId = session.id;
    assert.is(session.owner, 'alice');
    assert.is(session.status, 'running');
    assert.is((await inject('POST', '/sessions', TOKENS.alice, { name: `api-${kind}` })).statusCode, 409);
    const volumes = await inject('POST', '/sessions', TOKENS.alice, { volumes: [{ source: '/etc', target: '/host' }] });
    assert.is(volumes.statusCode, 403);

    for (const ref of [session.id, session.name]) {
      for (const [method, url] of [['GET', `/sessions/${ref}`], ['DELETE', `/sessions/${ref}`], ['POST', `/sessions/${ref}/connect`], ['GET', `/sessions/${ref}/logs`]] as const) {
        const res = await inject(method, url, TOKENS.bob);
        assert.is(res.statusCode, 404, `bob ${method} ${url}`);
        assert.is(res.json().code, 'SESSION_NOT_FOUND');
      }
    }
    assert.equal((await inject('GET', '/sessions', TOKENS.bob)).json(), { sessions: [] });
    assert.equal((await inject('GET', '/sessions?all=true', TOKENS.bob)).json(), { sessions: [] });
    const all = (await inject('GET', '/sessions?all=true', TOKENS.root)).json();
    assert.ok(all.sessions.some((s: { id: string }) => s.id === session.id));
    assert.is((await inject('GET', `/sessions/${session.id}`, TOKENS.root)).json().owner, 'alice');

    assert.is((await inject('GET', `/sessions/${session.name}`, TOKENS.alice)).json().id, session.id);
    const connect = (await inject('POST', `/sessions/${session.id}/connect`, TOKENS.alice)).json();
    assert.equal(
      { host: connect.host, port: connect.port, login: connect.login },
      { host: 'mai.example.test', port: 2222, login: 'alice' },
    );
    assert.match(connect.knownHostsLine, /^\[mai\.example\.test\]:2222 ssh-ed25519 /);
    const logs = await inject('GET', `/sessions/${session.id}/logs?tail=10`, TOKENS.alice);
    assert.is(logs.statusCode, 200);
    assert.match(logs.headers['content-type'] as string, /^text\/plain/);

    // ?follow=true streams over a real socket until the client hangs up.
    const f = await fixture();
    const address = await f.app.listen({ port: 0, host: '127.0.0.1' });
    const follow = await new Promise<IncomingMessage>((resolve, reject) => {
      const req = httpGet(`${address}/sessions/${session.id}/logs?follow=true`, { headers: bearer(TOKENS.alice) }, resolve);
      req.on('error', reject);
    });
    assert.is(follow.statusCode, 200);
    assert.match(follow.headers['content-type'] ?? '', /^text\/plain/);
    follow.destroy(); // the client hangs up; the server must drop the engine's stream

    assert.is((await inject('DELETE', `/sessions/${session.id}`, TOKENS.alice)).statusCode, 204);
    assert.is((await inject('GET', `/sessions/${session.id}`, TOKENS.alice)).statusCode, 404);
    sessionId = '';
  });

  test('auth endpoints are rate-limited per client', async () => {
    const limited = await openApiFixture(kind, { rateLimit: { max: 3, window: '1m' } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) {
        statuses.push((await limited.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: 'mai_rt_x' } })).statusCode);
      }
      assert.equal(statuses, [401, 401, 401, 429]);
      const res = await limited.app.inject({ method: 'POST', url: '/auth/refresh', payload: { refreshToken: 'mai_rt_x' } });
      assert.is(res.json().code, 'RATE_LIMITED');
      assert.ok(Number(res.headers['retry-after']) > 0);
      // Other routes are not counted.
      assert.is((await limited.app.inject({ method: 'GET', url: '/healthz' })).statusCode, 200);
      // Once a user is known, the count is that user's: from the same address, alice spending hers leaves bob's.
      const me = (token: string) => limited.app.inject({ method: 'GET', url: '/auth/me', headers: bearer(token) });
      const alices: number[] = [];
      for (let i = 0; i < 4; i++) alices.push((await me(TOKENS.alice)).statusCode);
      assert.equal(alices, [200, 200, 200, 429]);
      assert.is((await me(TOKENS.bob)).statusCode, 200);
    } finally {
      await limited.close();
    }
  });

  test.run();
}
