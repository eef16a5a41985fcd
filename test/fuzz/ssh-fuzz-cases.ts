/**
 * What the SSH fuzzer sends: well-formed messages of every kind a client may send
 * (RFC 4253, 4254, OpenSSH's extensions), with values chosen at the edges, each then
 * often mutated with fuzz-kit's wire-format mutations.
 */
import { SshWriter } from '../../keys/index.js';
import { mutate, type Random } from './fuzz-kit.js';
import { channelRequest, framePacket, MSG, packetPayload } from './ssh-fuzz-client.js';

/** uint32 values at the edges: sizes, ports, window sizes, channel ids. */
const EDGE_UINT32 = [0, 1, 24, 80, 4096, 4097, 65535, 65536, 0x7fffffff, 0x80000000, 0xffffffff];

export function edgeUint32(rng: Random): number {
  return rng.int(3) ? rng.pick(EDGE_UINT32) : rng.int(0x100000000);
}

/** Text at the edges: empty, a NUL, long, not UTF-8, shell and path syntax. */
export function edgeText(rng: Random): Buffer {
  switch (rng.int(8)) {
    case 0:
      return Buffer.alloc(0);
    case 1:
      return Buffer.from('a\0b');
    case 2:
      return Buffer.alloc(1 + rng.int(8000), 'x');
    case 3:
      return rng.bytes(rng.int(300));
    case 4:
      return Buffer.from(rng.pick(["'", '"', '\\', '$(id)', '`id`', '../../etc/passwd', '*', '-', '--', '%00', '\r\n']));
    case 5:
      return Buffer.from('ü€😀\u202e', 'utf8');
    default:
      return Buffer.from(rng.pick(['xterm', 'LANG', 'LC_ALL', 'TERM', 'PATH', 'LD_PRELOAD', 'MAI_SESSION_ID', 'sftp', 'INT', 'KILL', 'localhost']));
  }
}

/**
 * An exec request's command. `session` is the fuzzing user's own session, so some
 * commands reach a container; none creates or closes one (`new`, `close` are left out:
 * the fuzzer must not fill the engine, and closing is tested elsewhere).
 */
export function execCommand(rng: Random, session: string): Buffer {
  const commands = [
    'help',
    'ls',
    'ls --json',
    `logs ${session} --tail 3`,
    `logs ${session} --tail 99999999`,
    'logs',
    `${session} true`,
    `${session} echo fuzz`,
    `${session} printf 'a\\0b'`,
    `${session} exit 3`,
    'no-such-session echo x',
    `'unterminated`,
    '"also',
    `${session}`,
  ];
  switch (rng.int(6)) {
    case 0:
      return Buffer.concat([Buffer.from(`${session} echo `), edgeText(rng)]);
    case 1:
      return edgeText(rng);
    case 2:
      return mutate(Buffer.from(rng.pick(commands)), rng);
    default:
      return Buffer.from(rng.pick(commands));
  }
}

/** The type-specific data of each channel request a client may send (RFC 4254 §6, OpenSSH PROTOCOL). */
export function channelRequestData(rng: Random, type: string, session: string): Buffer {
  const w = new SshWriter();
  switch (type) {
    case 'pty-req':
      return w
        .writeString(edgeText(rng))
        .writeUint32(edgeUint32(rng))
        .writeUint32(edgeUint32(rng))
        .writeUint32(edgeUint32(rng))
        .writeUint32(edgeUint32(rng))
        .writeString(rng.int(2) ? Buffer.from([0]) : rng.bytes(rng.int(200)))
        .toBuffer();
    case 'env':
      return w.writeString(rng.int(2) ? `LC_${rng.int(1000)}` : edgeText(rng)).writeString(edgeText(rng)).toBuffer();
    case 'exec':
      return w.writeString(execCommand(rng, session)).toBuffer();
    case 'subsystem':
      return w.writeString(rng.int(2) ? 'sftp' : edgeText(rng)).toBuffer();
    case 'window-change':
      return w.writeUint32(edgeUint32(rng)).writeUint32(edgeUint32(rng)).writeUint32(edgeUint32(rng)).writeUint32(edgeUint32(rng)).toBuffer();
    case 'signal':
      return w.writeString(rng.int(2) ? rng.pick(['INT', 'KILL', 'TERM', 'SIGKILL', 'WINCH', 'STOP']) : edgeText(rng)).toBuffer();
    case 'x11-req':
      return w.writeBoolean(true).writeString('MIT-MAGIC-COOKIE-1').writeString(rng.bytes(16).toString('hex')).writeUint32(edgeUint32(rng)).toBuffer();
    case 'xon-xoff':
      return w.writeBoolean(rng.int(2) === 0).toBuffer();
    case 'break':
      return w.writeUint32(edgeUint32(rng)).toBuffer();
    case 'exit-status':
      return w.writeUint32(edgeUint32(rng)).toBuffer();
    default: // shell, auth-agent-req@openssh.com, eow@openssh.com, keepalive@openssh.com and unknown ones
      return rng.int(2) ? Buffer.alloc(0) : rng.bytes(rng.int(64));
  }
}

export const CHANNEL_REQUEST_TYPES = [
  'pty-req', 'env', 'exec', 'shell', 'subsystem', 'window-change', 'signal', 'x11-req', 'auth-agent-req@openssh.com',
  'xon-xoff', 'break', 'exit-status', 'eow@openssh.com', 'keepalive@openssh.com', 'no-such-request',
];

/**
 * A CHANNEL_REQUEST payload for `recipient`, mutated one time in `mutateOneIn`: ssh2
 * ends a connection at its first malformed packet, so a barrage that should get deep
 * into a connection's state sends mostly well-formed (if odd) requests.
 */
export function fuzzChannelRequest(rng: Random, recipient: number, session: string, mutateOneIn: number): Buffer {
  const type = rng.int(20) ? rng.pick(CHANNEL_REQUEST_TYPES) : edgeText(rng).toString('latin1');
  const payload = channelRequest(recipient, type, rng.int(2) === 0, channelRequestData(rng, type, session));
  return rng.int(mutateOneIn) ? payload : mutate(payload, rng);
}

/** A GLOBAL_REQUEST payload (RFC 4254 §4, §7.1; OpenSSH's no-more-sessions and hostkeys), mutated one time in `mutateOneIn`. */
export function fuzzGlobalRequest(rng: Random, mutateOneIn: number): Buffer {
  const type = rng.pick(['tcpip-forward', 'cancel-tcpip-forward', 'no-more-sessions@openssh.com', 'keepalive@openssh.com', 'hostkeys-prove-00@openssh.com', 'streamlocal-forward@openssh.com', 'x']);
  const w = new SshWriter().writeByte(MSG.GLOBAL_REQUEST).writeString(type).writeBoolean(rng.int(2) === 0);
  if (type.includes('forward')) w.writeString(edgeText(rng)).writeUint32(edgeUint32(rng));
  const payload = w.toBuffer();
  return rng.int(mutateOneIn) ? payload : mutate(payload, rng);
}

/**
 * A CHANNEL_OPEN payload (RFC 4254 §5.1, §7.2) with a sender id the client does not
 * know (the server's answer is dropped by ssh2's client), mutated one time in
 * `mutateOneIn`. Not `session`: one the client does not know it could not close, and
 * it would hold a place of the connection's channel quota (session channels with odd
 * windows are opened through the client, see openSessionChannel).
 */
export function fuzzChannelOpen(rng: Random, session: string, mutateOneIn: number): Buffer {
  const type = rng.pick(['direct-tcpip', 'x11', 'forwarded-tcpip', 'direct-streamlocal@openssh.com', 'auth-agent@openssh.com', 'x']);
  const w = new SshWriter().writeByte(MSG.CHANNEL_OPEN).writeString(type).writeUint32(1000 + rng.int(1000)).writeUint32(edgeUint32(rng)).writeUint32(edgeUint32(rng));
  if (type === 'direct-tcpip' || type === 'forwarded-tcpip') {
    w.writeString(rng.int(2) ? rng.pick(['localhost', '127.0.0.1', session, '::1']) : edgeText(rng)).writeUint32(edgeUint32(rng)).writeString('198.51.100.7').writeUint32(edgeUint32(rng));
  }
  const payload = w.toBuffer();
  return rng.int(mutateOneIn) ? payload : mutate(payload, rng);
}

/**
 * What a client sends before the key exchange ends: its identification line and
 * KEXINIT (OpenSSH's own, captured), one of them mutated, or followed by messages
 * that have no place there; sometimes split into small writes.
 */
export function fuzzHello(rng: Random, hello: { ident: Buffer; kexinitPacket: Buffer }): Buffer[] {
  const { ident, kexinitPacket } = hello;
  let bytes: Buffer;
  switch (rng.int(5)) {
    case 0:
      bytes = Buffer.concat([mutate(ident, rng), rng.int(2) ? kexinitPacket : Buffer.alloc(0)]);
      break;
    case 1: // a KEXINIT whose fields lie, in a well-formed packet
      bytes = Buffer.concat([ident, framePacket(mutate(packetPayload(kexinitPacket), rng))]);
      break;
    case 2: // a packet whose framing lies
      bytes = Buffer.concat([ident, mutate(kexinitPacket, rng)]);
      break;
    case 3: {
      // messages out of order: a service or userauth request, channel traffic, a KEXDH_INIT with garbage
      const type = rng.pick([5, 21, 30, 31, 50, 80, 90, 94, 98, 2, 4, 1, 255]);
      bytes = Buffer.concat([ident, kexinitPacket, framePacket(Buffer.concat([Buffer.from([type]), rng.bytes(rng.int(300))]))]);
      break;
    }
    default: // lines before the version, an SSH-1 version, or a line far too long
      bytes = Buffer.from(rng.pick(['hello\r\n', 'SSH-1.5-old\r\n', 'SSH-1.99-both\r\n', `SSH-2.0-${'x'.repeat(300)}\r\n`, '\r\n', 'SSH-2.0-\0\r\n', `${'y'.repeat(1000)}`]));
      bytes = Buffer.concat([bytes, rng.int(2) ? ident : Buffer.alloc(0)]);
  }
  if (rng.int(4)) return [bytes];
  const chunks: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const size = 1 + rng.int(16);
    chunks.push(bytes.subarray(at, at + size));
    at += size;
  }
  return chunks;
}
