import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadOrCreateBoxKeyPair, loadOrCreateProjectKeyFile } from '../../gateway/domain/project-keys.js';
import { PROJECT_FILES, ProjectService } from '../../gateway/domain/project-service.js';
import { MaiError } from '../../gateway/errors.js';
import { openStore } from '../../gateway/store/open-store.js';
import type { Store } from '../../gateway/store/store.js';
import { projectKeyFrom, sealTo } from '../../keys/secret-box.js';
import { tempDir } from '../helpers/tmp.js';
import { errorCode } from '../helpers/errors.js';

const dir = tempDir('mai-projects-');
let store: Store;
let projects: ProjectService;
let publicKeyB64: string;
const alice = { name: 'alice', admin: false };
const bob = { name: 'bob', admin: false };
const root = { name: 'root', admin: true };

function sshKey(name: string, passphrase = ''): { key: string; pub: string } {
  const file = join(dir.path, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', passphrase, '-C', name, '-f', file]);
  return { key: readFileSync(file, 'utf8'), pub: readFileSync(`${file}.pub`, 'utf8').split(' ').slice(0, 2).join(' ') };
}


test.before(async () => {
  store = await openStore({ dataDir: dir.path });
  const key = await projectKeyFrom(await loadOrCreateProjectKeyFile(dir.path));
  const boxKeys = await loadOrCreateBoxKeyPair(dir.path, key);
  projects = new ProjectService({ store: store.projects, key, boxKeys });
  publicKeyB64 = projects.publicKey();
});
test.after(async () => {
  await store.close();
  dir.remove();
});

test('ssh key project: stored encrypted, shown without secret, material as 0400 files', async () => {
  const { key, pub } = sshKey('deploy');
  const { project, created } = await projects.save(alice, { url: 'github.com/hello/private', sshKey: key });
  assert.ok(created);
  assert.equal([project.id, project.url, project.auth, project.publicKey], ['github.com/hello/private', 'git@github.com:hello/private.git', 'ssh', pub]);
  assert.not.ok(JSON.stringify(project).includes('PRIVATE KEY'));
  const row = await store.projects.getProject('alice', 'github.com/hello/private');
  assert.ok(row?.secret?.startsWith('v1.'));
  assert.not.ok(row!.secret!.includes('PRIVATE'));
  const raw = readFileSync(join(dir.path, 'mai.db')).toString('latin1');
  assert.not.ok(raw.includes('OPENSSH PRIVATE KEY'), 'no plaintext key in the database file');

  const material = await projects.forSession('alice', 'git@github.com:hello/private.git');
  assert.is(material.cloneUrl, 'git@github.com:hello/private.git');
  assert.equal(material.files.map((f) => [f.path, f.mode, f.uid, f.gid]), [[PROJECT_FILES.sshKey, 0o400, 1000, 1000]]);
  assert.is(material.files[0]!.content, key);
  // Bob's session on the same URL gets no credentials: it is alice's project.
  assert.equal((await projects.forSession('bob', 'github.com/hello/private')).files, []);
});

test('token project, sealed input, username, known hosts, update keeps createdAt', async () => {
  const sealed = await sealTo(publicKeyB64, 'glpat-secret', 'alice');
  const first = await projects.save(alice, { url: 'https://gitlab.example.com/team/app', token: sealed, username: 'oauth2' });
  assert.is(first.project.auth, 'token');
  const material = await projects.forSession('alice', 'gitlab.example.com/team/app');
  assert.equal(material.files.map((f) => [f.path, f.content]), [[PROJECT_FILES.token, 'glpat-secret']]);
  assert.equal(material.env, { MAI_GIT_USERNAME: 'oauth2' });
  const again = await projects.save(alice, {
    url: 'gitlab.example.com/team/app',
    token: 'glpat-new',
    knownHosts: 'gitlab.example.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl\n',
  });
  assert.not.ok(again.created);
  assert.is(again.project.createdAt, first.project.createdAt);
  assert.ok(again.project.knownHosts);
  const paths = (await projects.forSession('alice', 'gitlab.example.com/team/app')).files.map((f) => f.path);
  assert.equal(paths, [PROJECT_FILES.token, PROJECT_FILES.knownHosts]);
});

test('ownership: another user gets PROJECT_NOT_FOUND; admins list everyone and name the owner', async () => {
  assert.is(await errorCode(projects.get(bob, 'github.com/hello/private')), 'PROJECT_NOT_FOUND');
  assert.is(await errorCode(projects.remove(bob, 'github.com/hello/private')), 'PROJECT_NOT_FOUND');
  assert.is(await errorCode(projects.get(bob, 'github.com/hello/private', 'alice')), 'PROJECT_NOT_FOUND');
  assert.equal((await projects.list(bob)).map((p) => p.id), []);
  assert.equal((await projects.list(root, { all: true })).map((p) => `${p.owner}:${p.id}`), ['alice:github.com/hello/private', 'alice:gitlab.example.com/team/app']);
  assert.is((await projects.get(root, 'github.com/hello/private', 'alice')).owner, 'alice');
  await projects.remove(alice, 'https://gitlab.example.com/team/app.git');
  assert.equal((await projects.list(alice)).map((p) => p.id), ['github.com/hello/private']);
});

test('refused: passphrase keys, public keys, both secrets, junk tokens, foreign sealed boxes', async () => {
  const locked = sshKey('locked', 'a passphrase');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', sshKey: locked.key })), 'INPUT_INVALID');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', sshKey: locked.pub })), 'INPUT_INVALID');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', sshKey: sshKey('k2').key, token: 't' })), 'INPUT_INVALID');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', token: 'two\nlines' })), 'INPUT_INVALID');
  const foreign = await sealTo(Buffer.alloc(32, 7).toString('base64'), 'x', 'alice');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', token: foreign })), 'INPUT_INVALID');
  assert.is(await errorCode(projects.save(alice, { url: 'github.com/a/b', token: 't' }, 'github.com/other/repo')), 'INPUT_INVALID');
});

test('a wrong project key cannot open stored secrets (clear error, no plaintext)', async () => {
  const wrong = new ProjectService({ store: store.projects, key: await projectKeyFrom('another key, long enough') });
  assert.is(await errorCode(wrong.forSession('alice', 'github.com/hello/private')), 'CONFIG_INVALID');
  const keyless = new ProjectService({ store: store.projects, key: null });
  assert.is(await errorCode(keyless.save(alice, { url: 'github.com/x/y', token: 'abc' })), 'CONFIG_INVALID');
});

test.run();
