import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { httpsCloneUrl, parseProjectUrl, sshCloneUrl } from '../../gateway/domain/project-url.js';
import { MaiError } from '../../gateway/errors.js';
import { thrownBy } from '../helpers/errors.js';

test('every form of one repository has one id', () => {
  for (const form of [
    'git@github.com:hello/private.git',
    'git@GitHub.com:hello/private',
    'ssh://git@github.com/hello/private.git',
    'ssh://git@github.com:22/hello/private',
    'https://github.com/hello/private.git',
    'https://github.com:443/hello/private/',
    'github.com/hello/private',
  ]) {
    assert.is(parseProjectUrl(form).id, 'github.com/hello/private', form);
  }
});

test('ports, schemes and clone URLs', () => {
  const ssh = parseProjectUrl('ssh://git@gitserver.test:2222/srv/repo.git');
  assert.equal([ssh.id, ssh.scheme, ssh.host, ssh.port, ssh.path], ['gitserver.test:2222/srv/repo', 'ssh', 'gitserver.test', 2222, 'srv/repo']);
  assert.is(ssh.cloneUrl, 'ssh://git@gitserver.test:2222/srv/repo.git');
  const bare = parseProjectUrl('gitlab.example.com/group/sub/app');
  assert.is(bare.cloneUrl, 'https://gitlab.example.com/group/sub/app.git');
  assert.is(sshCloneUrl(bare), 'git@gitlab.example.com:group/sub/app.git');
  assert.is(httpsCloneUrl(parseProjectUrl('git@github.com:a/b.git')), 'https://github.com/a/b.git');
  assert.is(sshCloneUrl(parseProjectUrl('https://h.example:8443/a/b')), 'ssh://git@h.example:8443/a/b.git');
  assert.is(parseProjectUrl('http://10.0.0.5:8080/r.git').id, '10.0.0.5:8080/r');
});

test('refused: credentials in the URL, other schemes, no path, garbage', () => {
  for (const bad of [
    'https://user:ghp_secret@github.com/a/b',
    'https://ghp_secret@github.com/a/b',
    'ftp://host/a',
    'file:///srv/repo',
    'github.com',
    'https://github.com/',
    'git@github.com:',
    'hello world',
    'owner:repo',
    'https://github.com/a/../b',
  ]) {
    const err = thrownBy(() => parseProjectUrl(bad));
    assert.is(err.code, 'INPUT_INVALID', bad);
    assert.not.ok(err.message.includes('ghp_secret') && !bad.includes('ghp_secret'));
  }
});

test.run();
