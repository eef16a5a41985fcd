import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  decryptAtRest,
  encryptAtRest,
  generateBoxKeyPair,
  generateProjectKey,
  openSealed,
  projectKeyFrom,
  sealTo,
} from '../../keys/secret-box.js';

test('at rest: round trip; wrong key, wrong row or tampering fail', async () => {
  const key = await projectKeyFrom(await generateProjectKey());
  const other = await projectKeyFrom(await generateProjectKey());
  const stored = await encryptAtRest(key, 'ghp_secret', 'alice/github.com/a/b');
  assert.ok(stored.startsWith('v1.'));
  assert.not.ok(stored.includes('ghp_secret'));
  assert.is.not(await encryptAtRest(key, 'ghp_secret', 'alice/github.com/a/b'), stored, 'a fresh nonce each time');
  assert.is(await decryptAtRest(key, stored, 'alice/github.com/a/b'), 'ghp_secret');
  for (const [k, ctx, text] of [
    [other, 'alice/github.com/a/b', stored],
    [key, 'bob/github.com/a/b', stored],
    [key, 'alice/github.com/a/b', stored.slice(0, -4) + 'AAAA'],
  ] as const) {
    let failed = false;
    await decryptAtRest(k, text, ctx).catch(() => (failed = true));
    assert.ok(failed);
  }
});

test('project key forms: base64, hex and passphrase; short ones refused', async () => {
  const b64 = await generateProjectKey();
  assert.is((await projectKeyFrom(b64)).length, 32);
  assert.equal(await projectKeyFrom('ab'.repeat(32)), Uint8Array.from(Buffer.from('ab'.repeat(32), 'hex')));
  assert.equal(await projectKeyFrom('a long enough passphrase'), await projectKeyFrom('a long enough passphrase'));
  let failed = false;
  await projectKeyFrom('short').catch(() => (failed = true));
  assert.ok(failed);
});

test('sealed box: only the key pair it was sealed to opens it, and only for the user it names', async () => {
  const pair = await generateBoxKeyPair();
  const other = await generateBoxKeyPair();
  const sealed = await sealTo(Buffer.from(pair.publicKey).toString('base64'), 'private key text', 'alice');
  assert.ok(sealed.startsWith('sealed.v2.'));
  assert.is(await openSealed(pair, sealed, 'alice'), 'private key text');
  const refusal = async (p: Promise<unknown>) => p.then(() => 'opened', (err: Error) => err.message);
  assert.is.not(await refusal(openSealed(other, sealed, 'alice')), 'opened');
  assert.is(await refusal(openSealed(pair, sealed, 'bob')), 'sealed for another user');
  // What an older mai sealed names no user: not accepted.
  assert.match(await refusal(openSealed(pair, `sealed.v1.${sealed.slice('sealed.v2.'.length)}`, 'alice')), 'older mai');
});

test.run();
