/**
 * The client side of the SSH fuzzer: what it takes to put odd bytes in front of the
 * gateway at each stage of a connection. Before the key exchange the wire is plain
 * text, so raw sockets do; after it, ssh2's client carries the encryption and these
 * helpers reach past its API to send packets it would never build.
 */
import { spawn } from 'node:child_process';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import ssh2, { type Channel, type Client, type ParsedKey } from 'ssh2';
import { SshReader, SshWriter } from '../../keys/index.js';

/** RFC 4253 §12 and RFC 4254 §9: the message numbers the fuzzer sends. */
export const MSG = { KEXINIT: 20, GLOBAL_REQUEST: 80, CHANNEL_OPEN: 90, CHANNEL_REQUEST: 98 } as const;

/**
 * What OpenSSH sends first: its identification line (with CR LF) and its KEXINIT as a
 * whole binary packet. Caught by a listener that answers with a version line of its own,
 * then drops the connection; the real `ssh` never gets further.
 */
export async function captureOpenSshHello(): Promise<{ ident: Buffer; kexinitPacket: Buffer }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const ssh = spawn('ssh', ['-F', '/dev/null', '-p', String(port), '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', 'fuzz@127.0.0.1', 'true'], { stdio: 'ignore' });
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('OpenSSH sent no KEXINIT within 10 s')), 10_000);
      server.once('connection', (socket: Socket) => {
        let got = Buffer.alloc(0);
        socket.write('SSH-2.0-mai_fuzz_capture\r\n');
        socket.on('data', (chunk: Buffer) => {
          got = Buffer.concat([got, chunk]);
          const identEnd = got.indexOf(0x0a);
          if (identEnd < 0 || got.length < identEnd + 5) return;
          const packetLength = got.readUInt32BE(identEnd + 1);
          if (got.length < identEnd + 5 + packetLength) return;
          clearTimeout(timer);
          socket.destroy();
          resolve({ ident: got.subarray(0, identEnd + 1), kexinitPacket: got.subarray(identEnd + 1, identEnd + 5 + packetLength) });
        });
      });
    });
  } finally {
    ssh.kill();
    server.close();
  }
}

/**
 * RFC 4253 §6 binary packet, before encryption: uint32 packet_length, byte padding_length,
 * payload, random padding (at least 4 bytes, the whole a multiple of 8).
 */
export function framePacket(payload: Buffer): Buffer {
  let padding = 8 - ((5 + payload.length) % 8);
  if (padding < 4) padding += 8;
  const head = Buffer.alloc(5);
  head.writeUInt32BE(1 + payload.length + padding, 0);
  head[4] = padding;
  return Buffer.concat([head, payload, Buffer.alloc(padding)]);
}

/** The payload of a binary packet framed as above (no MAC: only for plain-text packets). */
export function packetPayload(packet: Buffer): Buffer {
  const length = packet.readUInt32BE(0);
  return packet.subarray(5, 4 + length - packet[4]!);
}

/** `blob` as an SSH `string`'s content: the first string of a certificate is its key type. */
export function firstString(blob: Buffer): string {
  try {
    return new SshReader(blob).readString().toString('latin1');
  } catch {
    return 'ssh-ed25519-cert-v01@openssh.com';
  }
}

/**
 * An ssh2 client key that presents `certBlob` (any bytes: the fuzzer's mutations too)
 * and signs with the user's private key.
 *
 * Why this shape: ssh2's client reads a certificate as a bare key, so it cannot send
 * one. A key object whose public blob is the certificate and whose type is the
 * certificate's algorithm gets it onto the wire. ssh2 names the signature after the
 * key's type and its server strips that name again, so `sign` returns the whole inner
 * signature blob (`string "ssh-ed25519", string octets`): what reaches the gateway's
 * check is then exactly what OpenSSH's signature gives it.
 */
export function certificateKey(
  privateKey: string,
  certBlob: Buffer,
  algorithm = firstString(certBlob),
  /** Changes the signature blob before it is sent (the fuzzer's mutations). */
  mangle: (signature: Buffer) => Buffer = (signature) => signature,
): ParsedKey {
  const parsed = ssh2.utils.parseKey(privateKey);
  if (parsed instanceof Error) throw parsed;
  const key = Object.create(parsed as object) as Omit<ParsedKey, 'type'> & { type: string };
  key.type = algorithm;
  key.getPublicSSH = () => certBlob;
  key.sign = (data: Buffer) => {
    const octets = (parsed as ParsedKey).sign(data);
    return octets instanceof Error ? octets : mangle(new SshWriter().writeString('ssh-ed25519').writeString(octets).toBuffer());
  };
  return key as unknown as ParsedKey;
}

export interface FuzzConnectOptions {
  port: number;
  username: string;
  /** Tried in turn, one per authentication attempt, until the server accepts one or ends the connection. */
  keys: ParsedKey[];
  /** The fuzzer's own loopback address, so its connections are counted apart from the users'. */
  localAddress: string;
}

/** A connection the server let in, and which of the keys it took (the last one tried). */
export interface Accepted {
  client: Client;
  keyIndex: number;
}

/**
 * Connects and authenticates with each key in turn. Resolves once the server has
 * accepted one, or with null when it refused them all or hung up (both are clean
 * refusals).
 */
export function connectWithKeys(options: FuzzConnectOptions): Promise<Accepted | null> {
  return new Promise((resolve) => {
    const client = new ssh2.Client();
    let tried = 0;
    let settled = false;
    const settle = (value: Accepted | null) => {
      if (settled) return;
      settled = true;
      if (!value) client.end();
      resolve(value);
    };
    client.on('ready', () => settle({ client, keyIndex: tried - 1 }));
    client.on('error', () => settle(null));
    client.on('close', () => settle(null));
    client.connect({
      sock: connect({ port: options.port, host: '127.0.0.1', localAddress: options.localAddress }),
      username: options.username,
      readyTimeout: 60_000,
      // The fuzzer talks to its own gateway; the pinned host key is checked by the OpenSSH tests.
      hostVerifier: () => true,
      authHandler: (_methods, _partial, next) => {
        const key = options.keys[tried++];
        if (!key) return settle(null);
        next({ type: 'publickey', username: options.username, key });
      },
    } as ssh2.ConnectConfig);
  });
}

/** ssh2's client, seen from inside: its protocol writer and its channel table. */
interface ClientInternals {
  _protocol: {
    _packetRW: { write: { allocStart: number; alloc(n: number): Buffer; finalize(p: Buffer): Buffer } };
    _cipher: { encrypt(packet: Buffer): void };
    session(localChannel: number, window: number, packetSize: number): void;
  };
  _chanMgr: { add(handler: unknown): number };
}

/** Sends one packet with this payload, encrypted as the connection's next packet. */
export function sendPayload(client: Client, payload: Buffer): void {
  const proto = (client as unknown as ClientInternals)._protocol;
  const packet = proto._packetRW.write.alloc(payload.length);
  payload.copy(packet, proto._packetRW.write.allocStart);
  proto._cipher.encrypt(proto._packetRW.write.finalize(packet));
}

/**
 * Opens a session channel and asks for nothing on it (ssh2's API always asks for a shell,
 * exec or subsystem), offering this window and largest packet (RFC 4254 §5.1).
 */
export function openSessionChannel(client: Client, window = 2 * 1024 * 1024, packetSize = 32 * 1024): Promise<Channel | null> {
  return new Promise((resolve) => {
    const internals = client as unknown as ClientInternals;
    const handler = Object.assign((err: Error | undefined, channel: Channel) => resolve(err ? null : channel), { type: 'session' });
    const local = internals._chanMgr.add(handler);
    if (local === -1) return resolve(null);
    internals._protocol.session(local, window, packetSize);
  });
}

/** The server's id of a channel: where requests on it are addressed. */
export function remoteId(channel: Channel): number {
  return (channel as unknown as { outgoing: { id: number } }).outgoing.id;
}

/** RFC 4254 §5.4 CHANNEL_REQUEST: uint32 recipient, string type, boolean want_reply, type-specific data. */
export function channelRequest(recipient: number, type: string, wantReply: boolean, data: Buffer): Buffer {
  return new SshWriter().writeByte(MSG.CHANNEL_REQUEST).writeUint32(recipient).writeString(type).writeBoolean(wantReply).writeRaw(data).toBuffer();
}

/**
 * Runs `command` on a new channel; resolves with its exit code and output (or, when the
 * channel could not be had, why: `error`), or null once the server has hung up.
 */
export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
  error?: string;
}

export function execProbe(client: Client, command: string, timeoutMs: number): Promise<ExecResult | null> {
  return new Promise((resolve) => {
    const done = (value: ExecResult | null) => {
      clearTimeout(timer);
      client.off('close', hungUp);
      resolve(value);
    };
    const hungUp = () => done(null);
    const timer = setTimeout(hungUp, timeoutMs);
    client.once('close', hungUp);
    try {
      client.exec(command, (err, channel) => {
        if (err) return done({ code: null, stdout: '', stderr: '', error: err.message });
        const result: ExecResult = { code: null, stdout: '', stderr: '' };
        channel.on('data', (d: Buffer) => (result.stdout += d.toString()));
        channel.stderr.on('data', (d: Buffer) => (result.stderr += d.toString()));
        channel.on('exit', (c: number | null) => (result.code = c));
        channel.on('close', () => done(result));
      });
    } catch {
      done(null);
    }
  });
}
