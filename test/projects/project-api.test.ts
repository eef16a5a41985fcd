/**
 * /projects over the real API (app.inject), on SQLite and PostgreSQL: the secret
 * is write-only, another user's project is 404, admins see all, sealed secrets
 * (GET /projects/key + crypto_box_seal) are accepted, ids are URL-encoded.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sealTo } from '../../keys/secret-box.js';
import { bearer, openApiFixture, TOKENS } from '../api/api-fixture.js';

const as = (user: keyof typeof TOKENS) => bearer(TOKENS[user]);

for (const kind of ['sqlite', 'postgres'] as const) {
  test(`${kind}: add, list, get, update, delete; secrets never returned; ownership`, async () => {
    const { app, close } = await openApiFixture(kind);
    try {
      const key = await app.inject({ method: 'GET', url: '/projects/key', headers: as('alice') });
      assert.is(key.statusCode, 200, key.body);
      const { publicKey, algorithm } = key.json() as { publicKey: string; algorithm: string };
      assert.is(algorithm, 'x25519-sealedbox');
      assert.is(Buffer.from(publicKey, 'base64').length, 32);
      assert.is((await app.inject({ method: 'GET', url: '/projects/key' })).statusCode, 401);

      // Sealed for bob, handed in by alice: refused, nothing stored (a blob seen elsewhere is no key to a secret).
      const bobs = await sealTo(publicKey, 'ghp_sealed_for_bob', 'bob');
      const stolen = await app.inject({ method: 'POST', url: '/projects', headers: as('alice'), payload: { url: 'github.com/hello/stolen', token: bobs } });
      assert.is(stolen.statusCode, 400, stolen.body);
      assert.is(stolen.json().code, 'INPUT_INVALID');
      assert.is((await app.inject({ method: 'GET', url: `/projects/${encodeURIComponent('github.com/hello/stolen')}`, headers: as('alice') })).statusCode, 404);

      const sealed = await sealTo(publicKey, 'ghp_sealed_secret', 'alice');
      const add = await app.inject({ method: 'POST', url: '/projects', headers: as('alice'), payload: { url: 'git@github.com:hello/private.git', token: sealed } });
      assert.is(add.statusCode, 201, add.body);
      assert.not.ok(add.body.includes('ghp_sealed_secret') || add.body.includes('sealed.v'));
      const project = add.json() as Record<string, unknown>;
      assert.equal([project.id, project.auth, project.url, project.owner], ['github.com/hello/private', 'token', 'https://github.com/hello/private.git', 'alice']);

      const again = await app.inject({ method: 'POST', url: '/projects', headers: as('alice'), payload: { url: 'github.com/hello/private', token: 'ghp_plain' } });
      assert.is(again.statusCode, 200, 'the same repository again is an update');

      const id = encodeURIComponent('github.com/hello/private');
      const get = await app.inject({ method: 'GET', url: `/projects/${id}`, headers: as('alice') });
      assert.is(get.statusCode, 200, get.body);
      assert.not.ok(get.body.includes('ghp_'));
      assert.is((await app.inject({ method: 'GET', url: `/projects/${id}`, headers: as('bob') })).statusCode, 404);
      assert.is((await app.inject({ method: 'GET', url: `/projects/${id}?owner=alice`, headers: as('bob') })).statusCode, 404);
      assert.is((await app.inject({ method: 'DELETE', url: `/projects/${id}`, headers: as('bob') })).statusCode, 404);
      assert.is((await app.inject({ method: 'GET', url: `/projects/${id}?owner=alice`, headers: as('root') })).statusCode, 200);

      const put = await app.inject({ method: 'PUT', url: `/projects/${encodeURIComponent('gitlab.example.com/team/app')}`, headers: as('bob'), payload: { token: 'glpat-x', username: 'oauth2' } });
      assert.is(put.statusCode, 201, put.body);
      assert.is((put.json() as { url: string }).url, 'https://gitlab.example.com/team/app.git');
      const mismatch = await app.inject({ method: 'PUT', url: `/projects/${id}`, headers: as('bob'), payload: { url: 'github.com/other/repo', token: 'x' } });
      assert.is(mismatch.statusCode, 400);
      const unknownField = await app.inject({ method: 'POST', url: '/projects', headers: as('bob'), payload: { url: 'github.com/a/b', password: 'x' } });
      assert.is(unknownField.statusCode, 400);

      const mine = (await app.inject({ method: 'GET', url: '/projects', headers: as('bob') })).json() as { projects: Array<{ id: string }> };
      assert.equal(mine.projects.map((p) => p.id), ['gitlab.example.com/team/app']);
      const all = (await app.inject({ method: 'GET', url: '/projects?all=true', headers: as('root') })).json() as { projects: Array<{ id: string }> };
      assert.is(all.projects.length, 2);
      const notAdmin = (await app.inject({ method: 'GET', url: '/projects?all=true', headers: as('bob') })).json() as { projects: unknown[] };
      assert.is(notAdmin.projects.length, 1);

      assert.is((await app.inject({ method: 'DELETE', url: `/projects/${id}`, headers: as('alice') })).statusCode, 204);
      assert.is((await app.inject({ method: 'GET', url: `/projects/${id}`, headers: as('alice') })).statusCode, 404);
    } finally {
      await close();
    }
  });
}

test.run();
