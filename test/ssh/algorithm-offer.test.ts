import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { offerFor } from '../../gateway/ssh/algorithm-offer.js';
import { SshReader } from '../../keys/index.js';
import { GatewayHarness } from '../helpers/gateway-harness.js';
import { eventually } from '../helpers/run.js';

/**
 * The offer each client gets, read off the wire: the gateway's KEXINIT after the
 * client's identification line (or after none). The clients themselves, and what
 * they negotiate, are in ssh-clients.test.ts.
 */
const test = suite('algorithm offer');
const gw = new GatewayHarness();

test.before(async () => {
  await gw.start();
});
test.after(() => gw.stop());

const GCM = ['aes128-gcm@openssh.com', 'aes256-gcm@openssh.com'];
const GCM_OR_CTR = [...GCM, 'aes128-ctr', 'aes256-ctr'];
const MACS = ['hmac-sha2-256-etm@openssh.com', 'hmac-sha2-512-etm@openssh.com', 'hmac-sha2-256', 'hmac-sha2-512'];

interface Offer {
  kex: string[];
  ciphers: string[];
  macs: string[];
}

/**
 * Connects, sends `ident` (after `silentMs`, to play a client that waits for the
 * server), and reads the server's KEXINIT: RFC 4253 §7.1, after the version line,
 *   uint32 packet_length, byte padding_length, byte SSH_MSG_KEXINIT (20), byte[16] cookie,
 *   name-list kex, server_host_key, ciphers c->s, ciphers s->c, macs c->s, macs s->c, ...
 */
async function serverOffer(ident: string, silentMs = 0): Promise<Offer> {
  const socket = connect(gw.server.sshPort, '127.0.0.1');
  let received = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => (received = Buffer.concat([received, chunk])));
  socket.on('error', () => {});
  try {
    await new Promise((resolve) => socket.once('connect', resolve));
    if (silentMs > 0) {
      await new Promise((r) => setTimeout(r, silentMs));
      assert.match(received.toString('latin1'), /^SSH-2\.0-mai\r\n/, 'the server speaks first to a client that waits');
    }
    socket.write(`${ident}\r\n`);
    const packet = await eventually(async () => {
      const body = received.subarray(received.indexOf(0x0a) + 1);
      return body.length >= 4 && body.length >= 4 + body.readUInt32BE(0) ? body : null;
    }, 10_000, 'the server KEXINIT');
    const reader = new SshReader(packet);
    reader.readUint32();
    reader.readByte();
    assert.is(reader.readByte(), 20);
    for (let i = 0; i < 16; i++) reader.readByte(); // cookie
    const list = () => reader.readString().toString('latin1').split(',');
    const kex = list();
    list(); // host key algorithms
    const [ciphers, ciphersBack, macs, macsBack] = [list(), list(), list(), list()];
    assert.equal(ciphersBack, ciphers);
    assert.equal(macsBack, macs);
    return { kex, ciphers, macs };
  } finally {
    socket.destroy();
  }
}

test('OpenSSH 6.2 and later, and PuTTY 0.76 and later, are offered AES-GCM only', async () => {
  for (const ident of ['SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u6', 'SSH-2.0-OpenSSH_6.2', 'SSH-2.0-PuTTY_Release_0.78']) {
    assert.equal((await serverOffer(ident)).ciphers, GCM, ident);
  }
});

test('other clients are offered AES-GCM and AES-CTR, with SHA-2 MACs', async () => {
  for (const ident of ['SSH-2.0-paramiko_2.12.0', 'SSH-2.0-OpenSSH_6.1', 'SSH-2.0-PuTTY_Release_0.75', 'SSH-2.0-JSCH-0.1.54']) {
    const offer = await serverOffer(ident);
    assert.equal(offer.ciphers, GCM_OR_CTR, ident);
    assert.equal(offer.macs, MACS, ident);
  }
});

test('a client that waits for the server to speak first gets the wider offer', async () => {
  assert.equal((await serverOffer('SSH-2.0-OpenSSH_9.2p1', 1_000)).ciphers, GCM_OR_CTR);
});

test('no offer lists CBC, a SHA-1 MAC or a SHA-1 key exchange', async () => {
  for (const ident of ['SSH-2.0-OpenSSH_9.2p1', 'SSH-2.0-paramiko_2.12.0']) {
    const { kex, ciphers, macs } = await serverOffer(ident);
    assert.not.ok(ciphers.some((c) => c.includes('cbc')), ciphers.join());
    assert.not.ok(macs.some((m) => m.includes('sha1') || m.includes('md5')), macs.join());
    assert.not.ok(kex.some((k) => k.endsWith('sha1')), kex.join());
  }
});

test('offerFor reads the software version, not the comments', () => {
  assert.is(offerFor('SSH-2.0-OpenSSH_for_Windows_8.1'), 'aes-gcm');
  assert.is(offerFor('SSH-2.0-OpenSSH_10.0'), 'aes-gcm');
  assert.is(offerFor('SSH-2.0-paramiko_2.12.0 OpenSSH_9.2'), 'aes-gcm-or-ctr');
  assert.is(offerFor(null), 'aes-gcm-or-ctr');
});

test.run();
