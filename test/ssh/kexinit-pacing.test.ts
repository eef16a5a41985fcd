import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import ssh2 from 'ssh2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { holdServerKexinit } from '../../gateway/ssh/kexinit-pacing.js';
import { loadOrCreateEd25519Key, SshWriter } from '../../keys/index.js';
import { eventually } from '../helpers/run.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The real ssh2 server behind `holdServerKexinit`, probed with a raw TCP client
 * so the order of the server's bytes is visible: its KEXINIT answers the
 * client's, and a client that waits for it still gets it.
 */
const test = suite('kexinit pacing');
const dir = tempDir('mai-kex-');
const servers: Server[] = [];
const sockets: Socket[] = [];
let hostKey = '';

test.before(async () => {
  hostKey = (await loadOrCreateEd25519Key(join(dir.path, 'host'), 'test')).privateKeyText;
});

test.after(async () => {
  for (const socket of sockets) socket.destroy();
  for (const server of servers) await new Promise((resolve) => server.close(resolve));
  dir.remove();
});

async function pacedServer(maxHoldMs: number): Promise<number> {
  const ssh = new ssh2.Server({ hostKeys: [hostKey] }, (client) => client.on('error', () => {}));
  const server = createServer((socket) => {
    holdServerKexinit(socket, maxHoldMs);
    ssh.injectSocket(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** A raw client that records every byte the server sends. */
async function probe(port: number): Promise<{ socket: Socket; received: () => Buffer }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => Buffer.concat(chunks) };
}

/** A well-formed unencrypted SSH_MSG_KEXINIT packet (RFC 4253 6 and 7.1). */
function clientKexinit(): Buffer {
  const names = ['curve25519-sha256', 'ssh-ed25519', 'aes128-gcm@openssh.com', 'aes128-gcm@openssh.com',
    'hmac-sha2-256', 'hmac-sha2-256', 'none', 'none', '', ''];
  const payload = new SshWriter().writeByte(20).writeRaw(randomBytes(16));
  for (const list of names) payload.writeString(list);
  const body = payload.writeBoolean(false).writeUint32(0).toBuffer();
  const padding = 8 - ((5 + body.length) % 8) + 8;
  return new SshWriter().writeUint32(1 + body.length + padding).writeByte(padding).writeRaw(body).writeRaw(Buffer.alloc(padding)).toBuffer();
}

/** The message type of the first binary packet after the server's version line, if one has arrived. */
function firstPacketType(bytes: Buffer): number | undefined {
  const identEnd = bytes.indexOf(0x0a);
  return identEnd === -1 ? undefined : bytes[identEnd + 1 + 5];
}

test("the server's KEXINIT is sent only in answer to the client's", async () => {
  const { socket, received } = await probe(await pacedServer(60_000));
  socket.write('SSH-2.0-probe\r\n');
  await eventually(async () => received().includes('\n'), 5_000, 'the server version line');
  // Unpaced, ssh2 sends its KEXINIT right after reading our version line.
  await new Promise((r) => setTimeout(r, 300));
  assert.match(received().toString('latin1'), /^SSH-2\.0-\S+\r\n$/);
  socket.write(clientKexinit());
  await eventually(async () => firstPacketType(received()) !== undefined, 5_000, 'the server KEXINIT');
  assert.is(firstPacketType(received()), 20);
});

test("a client that sends its version line and KEXINIT together gets the server's at once", async () => {
  const { socket, received } = await probe(await pacedServer(60_000));
  socket.write(Buffer.concat([Buffer.from('SSH-2.0-probe\r\n'), clientKexinit()]));
  await eventually(async () => firstPacketType(received()) !== undefined, 5_000, 'the server KEXINIT');
  assert.is(firstPacketType(received()), 20);
});

test("a client that waits for the server's KEXINIT gets it after the hold", async () => {
  const { socket, received } = await probe(await pacedServer(50));
  socket.write('SSH-2.0-probe\r\n');
  await eventually(async () => firstPacketType(received()) !== undefined, 5_000, 'the server KEXINIT');
  assert.is(firstPacketType(received()), 20);
});

test.run();
