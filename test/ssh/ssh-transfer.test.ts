import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { GatewayHarness, type SshUser } from '../helpers/gateway-harness.js';
import { eventually, run } from '../helpers/run.js';

/** Bytes through the gateway: large streams, sftp, scp, and ssh -L through the container. */
const test = suite('ssh transfers');
const gw = new GatewayHarness();
let alice: SshUser;
let bob: SshUser;
let sessionId = '';

test.before.each(async () => {
  if (gw.server) return;
  await gw.start();
  alice = await gw.user('alice');
  bob = await gw.user('bob');
  const r = await gw.ssh(alice, 'alice', ['new', '--name', 'files']);
  assert.is(r.code, 0, r.stderr);
  sessionId = r.stdout.trim();
});
test.after(() => gw.stop());

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

test('30 MB in and back out, byte for byte (no TTY)', async () => {
  const data = randomBytes(30 * 1024 * 1024);
  const put = await gw.ssh(alice, 'alice', ['files', 'cat > /tmp/blob && sha256sum /tmp/blob'], { input: data });
  assert.is(put.code, 0, put.stderr);
  assert.is(put.stdout.split(' ')[0], sha256(data));
  const get = await gw.ssh(alice, 'alice', ['files', 'cat', '/tmp/blob']);
  assert.is(get.code, 0, get.stderr);
  assert.is(get.stdoutBytes.length, data.length);
  assert.is(sha256(get.stdoutBytes), sha256(data));
});

test('sftp put and get through alice+SESSION', async () => {
  const local = join(gw.dir.path, 'up.bin');
  const back = join(gw.dir.path, 'down.bin');
  const data = randomBytes(3 * 1024 * 1024 + 17);
  writeFileSync(local, data);
  const batch = join(gw.dir.path, 'batch');
  writeFileSync(batch, `put ${local} /tmp/up.bin\nls -l /tmp/up.bin\nget /tmp/up.bin ${back}\n`);
  const r = await run('sftp', [...gw.fileClientOptions(alice), '-b', batch, `alice+${sessionId}@127.0.0.1`]);
  assert.is(r.code, 0, r.stderr);
  assert.is(sha256(readFileSync(back)), sha256(data));
  const inside = await gw.ssh(alice, 'alice', ['files', 'sha256sum /tmp/up.bin']);
  assert.is(inside.stdout.split(' ')[0], sha256(data));
});

test('scp to and from a session', async () => {
  const local = join(gw.dir.path, 'scp.txt');
  const back = join(gw.dir.path, 'scp-back.txt');
  writeFileSync(local, 'hello over scp\n');
  const options = gw.fileClientOptions(alice);
  const up = await run('scp', [...options, local, `alice+files@127.0.0.1:/tmp/scp.txt`]);
  assert.is(up.code, 0, up.stderr);
  const down = await run('scp', [...options, `alice+files@127.0.0.1:/tmp/scp.txt`, back]);
  assert.is(down.code, 0, down.stderr);
  assert.is(readFileSync(back, 'utf8'), 'hello over scp\n');
});

test('sftp into another user\'s session is refused', async () => {
  const r = await run('sftp', [...gw.fileClientOptions(bob), '-b', '/dev/null', `bob+${sessionId}@127.0.0.1`]);
  assert.is.not(r.code, 0);
});

test('ssh -N -L forwards a local port to a port inside the container', async () => {
  // A one-line TCP echo service inside the session, on its loopback only.
  await gw.ssh(alice, 'alice', ['files', 'nohup socat TCP-LISTEN:8080,bind=127.0.0.1,fork,reuseaddr EXEC:cat >/dev/null 2>&1 &']);
  const localPort = await freePort();
  const forward = gw.spawnSsh(alice, `alice+${sessionId}`, [], ['-N', '-L', `${localPort}:localhost:8080`]);
  try {
    const payload = randomBytes(2 * 1024 * 1024);
    const echoed = await eventually(() => echo(localPort, payload).catch(() => null), 20_000, 'the forward to answer');
    assert.is(sha256(echoed), sha256(payload));
    // The destination host may also name the session, without +SESSION in the login.
    const namedPort = await freePort();
    const byName = gw.spawnSsh(alice, 'alice', [], ['-N', '-L', `${namedPort}:files:8080`]);
    try {
      const again = await eventually(() => echo(namedPort, Buffer.from('ping')).catch(() => null), 20_000, 'the named forward');
      assert.is(again.toString(), 'ping');
    } finally {
      byName.kill();
    }
  } finally {
    forward.kill();
  }
});

test('forwarding into another user\'s session is refused', async () => {
  const before = gw.audit().length;
  const r = await gw.ssh(bob, 'bob', [], { extra: ['-W', `${sessionId}:8080`] });
  assert.is.not(r.code, 0);
  const refusal = gw.audit().slice(before).find((e) => e.event === 'forward.refused');
  assert.is(refusal?.reason, 'SESSION_NOT_FOUND');
  assert.not.ok(gw.audit().slice(before).some((e) => e.event === 'forward.open'));
});


function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Sends `payload`, half-closes, and collects what comes back until the far end closes. */
function echo(port: number, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const all = Buffer.concat(chunks);
      if (all.length === payload.length) resolve(all);
      else reject(new Error(`short echo: ${all.length}`));
    });
    socket.end(payload);
  });
}

test.run();
