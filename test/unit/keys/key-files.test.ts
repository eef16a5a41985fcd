/** Key files: OpenSSH format accepted by ssh2 and ssh-keygen, created once, 0600 enforced. */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import ssh2 from 'ssh2';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { rejectedOf } from '../../helpers/errors.js';
import { KeyError } from '../../../keys/key-error.js';
import { loadOrCreateEd25519Key, sshFingerprint } from '../../../keys/key-files.js';
import { decodeOpenSshEd25519PrivateKey, encodeOpenSshEd25519PrivateKey } from '../../../keys/openssh-private-key.js';
import { fixtureBlob, fixtureText } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'mai-keyfiles-'));
test.after(() => rmSync(dir, { recursive: true, force: true }));

test('creates an OpenSSH key with mode 0600 and a .pub; loads the same key afterwards', async () => {
  const path = join(dir, 'nested', 'host_ed25519');
  const first = await loadOrCreateEd25519Key(path, 'mai-host');
  assert.is(statSync(path).mode & 0o777, 0o600);
  assert.ok(first.privateKeyText.startsWith('-----BEGIN OPENSSH PRIVATE KEY-----\n'));
  assert.is(readFileSync(path, 'utf8'), first.privateKeyText);
  assert.is(readFileSync(`${path}.pub`, 'utf8'), `${first.publicKeyLine}\n`);
  assert.match(first.publicKeyLine, /^ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA\S+ mai-host$/);
  const second = await loadOrCreateEd25519Key(path);
  assert.ok(second.publicKeyBlob.equals(first.publicKeyBlob));
  assert.is(second.privateKeyText, first.privateKeyText);
  const data = Buffer.from('x');
  assert.ok(verify(null, data, second.privateKey, sign(null, data, first.privateKey)));
});

test('ssh2 parses the file we write as a host key', async () => {
  const key = await loadOrCreateEd25519Key(join(dir, 'for-ssh2'));
  const parsed = ssh2.utils.parseKey(key.privateKeyText);
  assert.not.instance(parsed, Error, String(parsed));
  const k = Array.isArray(parsed) ? parsed[0] : parsed;
  if (!k || k instanceof Error) throw new Error('ssh2 could not parse the key');
  assert.is(k.type, 'ssh-ed25519');
  assert.ok(k.isPrivateKey());
  assert.ok(Buffer.from(k.getPublicSSH()).equals(key.publicKeyBlob));
  const data = Buffer.from('ssh2 signs with it');
  const sig = k.sign(data);
  assert.ok(!(sig instanceof Error) && verify(null, data, key.privateKey, sig));
});

test('ssh-keygen reads the file we write; fingerprints agree', async () => {
  const path = join(dir, 'for-ssh-keygen');
  const key = await loadOrCreateEd25519Key(path);
  const pub = execFileSync('ssh-keygen', ['-y', '-f', path], { encoding: 'utf8' }).trim();
  assert.is(pub.split(' ').slice(0, 2).join(' '), key.publicKeyLine.split(' ').slice(0, 2).join(' '));
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${path}.pub`], { encoding: 'utf8' });
  assert.is(fp.split(' ')[1], key.fingerprint);
  assert.is(key.fingerprint, sshFingerprint(key.publicKeyBlob));
});

test('loads a key ssh-keygen generated', () => {
  const { privateKey } = decodeOpenSshEd25519PrivateKey(fixtureText('ca'));
  const data = Buffer.from('ca');
  assert.ok(verify(null, data, privateKey, sign(null, data, privateKey)));
  const fp = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', '-'], { input: fixtureText('ca.pub'), encoding: 'utf8' });
  assert.is(fp.split(' ')[1], sshFingerprint(fixtureBlob('ca.pub')));
});

async function assertConfigInvalid(path: string, pattern: RegExp): Promise<void> {
  const err = await rejectedOf(KeyError, () => loadOrCreateEd25519Key(path));
  assert.is(err.kind, 'KEY_FILE');
  assert.ok(err.message.includes(path), 'message names the file');
  assert.match(err.message, pattern);
  assert.not.match(err.message, /\n/);
}

test('a key file readable by others is refused', async () => {
  const path = join(dir, 'loose');
  await loadOrCreateEd25519Key(path);
  chmodSync(path, 0o644);
  await assertConfigInvalid(path, /mode 0644.*chmod 600/);
});

test('an unparsable or encrypted key file is refused', async () => {
  const garbage = join(dir, 'garbage');
  writeFileSync(garbage, 'not a key\n', { mode: 0o600 });
  await assertConfigInvalid(garbage, /cannot be parsed/);
  const encrypted = join(dir, 'encrypted');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', encrypted]);
  await assertConfigInvalid(encrypted, /encrypted/);
  const rsa = join(dir, 'rsa');
  execFileSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '2048', '-N', '', '-f', rsa]);
  await assertConfigInvalid(rsa, /expected ssh-ed25519/);
  const corrupt = join(dir, 'corrupt');
  const text = fixtureText('user-ed25519').split('\n');
  text[3] = (text[3] as string).replace(/[A-Za-z]/, (c) => (c === 'A' ? 'B' : 'A'));
  writeFileSync(corrupt, text.join('\n'), { mode: 0o600 });
  await assertConfigInvalid(corrupt, /cannot be parsed/);
});

test('a file whose public half does not match its private half is refused', () => {
  const a = generateKeyPairSync('ed25519').privateKey;
  const pkOf = (k: KeyObject) => Buffer.from(k.export({ format: 'jwk' }).x ?? '', 'base64url');
  const body = (t: string) => Buffer.from(t.split('\n').slice(1, -2).join(''), 'base64');
  const pkA = pkOf(a);
  const pkB = pkOf(generateKeyPairSync('ed25519').privateKey);
  const mixed = Buffer.from(body(encodeOpenSshEd25519PrivateKey(a)).toString('latin1').split(pkA.toString('latin1')).join(pkB.toString('latin1')), 'latin1');
  const text = `-----BEGIN OPENSSH PRIVATE KEY-----\n${mixed.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
  assert.throws(() => decodeOpenSshEd25519PrivateKey(text), /do not match/);
});

test('logging the key object does not print key material', async () => {
  const key = await loadOrCreateEd25519Key(join(dir, 'logged'));
  const printed = `${inspect(key)} ${JSON.stringify(key)}`;
  assert.not.ok(printed.includes('PRIVATE KEY'));
  assert.not.ok(printed.includes(key.privateKeyText.split('\n')[1] as string));
  assert.ok(printed.includes(key.fingerprint));
});

test.run();
