/**
 * 1,000 idle, authenticated SSH connections to the gateway: the server's
 * resident memory per connection, and an exec's latency while they are open
 * beside the same exec on an idle server. The connections come from ssh2's
 * client in this process (1,000 OpenSSH processes would load the machine more
 * than the server); each presents the user's OpenSSH certificate, signed with
 * its key, exactly as `ssh` does.
 */
import { readFileSync } from 'node:fs';
import ssh2 from 'ssh2';
import type { SshUser } from '../helpers/serve-process.js';
import { fmt, inParallel, log, median, rssKb, timed, type Figure } from './bench-kit.js';
import type { BenchServer } from './bench-server.js';

const CONNECTIONS = Number(process.env.BENCH_IDLE_CONNECTIONS ?? 1000);

/** ssh2's client knows no certificates: present the certificate blob as the public key, sign with the key. */
function certificateKey(user: SshUser): ssh2.ParsedKey {
  const parsed = ssh2.utils.parseKey(readFileSync(user.key, 'utf8'));
  if (parsed instanceof Error || Array.isArray(parsed)) throw new Error(`cannot parse ${user.key}`);
  const [type, blob] = readFileSync(user.cert, 'utf8').trim().split(/\s+/);
  const certBlob = Buffer.from(blob!, 'base64');
  // The signature names the key's own algorithm (PROTOCOL.certkeys), not the certificate's:
  // ssh2 wraps what sign() returns in the certificate's name, which its server strips again.
  const wireString = (b: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(b.length);
    return Buffer.concat([length, b]);
  };
  return Object.create(parsed, {
    type: { value: type },
    getPublicSSH: { value: () => certBlob },
    sign: { value: (data: Buffer) => Buffer.concat([wireString(Buffer.from(parsed.type)), wireString(parsed.sign(data) as Buffer)]) },
  }) as ssh2.ParsedKey;
}

function connect(server: BenchServer, user: SshUser, key: ssh2.ParsedKey): Promise<ssh2.Client> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    client.on('ready', () => resolve(client));
    client.on('error', reject);
    client.connect({
      host: '127.0.0.1',
      port: server.sshPort,
      username: user.name,
      authHandler: [{ type: 'publickey', username: user.name, key } as ssh2.PublicKeyAuthMethod],
      algorithms: { cipher: ['aes128-gcm@openssh.com'] },
      readyTimeout: 120_000,
      keepaliveInterval: 0,
    });
  });
}

export async function idleFigures(server: BenchServer, user: SshUser, sessionId: string): Promise<Figure[]> {
  const key = certificateKey(user);
  const exec = () => timed('ssh', server.sshArgs(user, [sessionId, 'true']));
  for (let i = 0; i < 3; i++) await exec();
  const quiet: number[] = [];
  for (let i = 0; i < 11; i++) quiet.push(await exec());
  // A warm-up connection: the first handshake compiles the paths every later one takes.
  (await connect(server, user, key)).end();
  await new Promise((r) => setTimeout(r, 2000));
  const before = rssKb(server.pid);

  log(`opening ${CONNECTIONS} idle connections`);
  const clients: ssh2.Client[] = [];
  const started = Date.now();
  await inParallel(Array.from({ length: CONNECTIONS }), 16, async () => void clients.push(await connect(server, user, key)));
  const openSeconds = (Date.now() - started) / 1000;
  await new Promise((r) => setTimeout(r, 3000));
  const after = rssKb(server.pid);
  const busy: number[] = [];
  for (let i = 0; i < 11; i++) busy.push(await exec());
  for (const client of clients) client.end();
  await new Promise((r) => setTimeout(r, 1000));

  return [
    {
      name: `idle connections: server RSS per connection (${CONNECTIONS})`,
      unit: 'KB',
      mai: (after - before) / CONNECTIONS,
      baseline: null,
      baselineName: '-',
      compare: 'none',
      target: { value: 50, of: 'mai', better: 'lower' },
      note: `RSS ${fmt(before / 1024)} -> ${fmt(after / 1024)} MB; opened in ${fmt(openSeconds)} s`,
    },
    {
      name: `exec latency with ${CONNECTIONS} idle connections (median)`,
      unit: 'ms',
      mai: median(busy),
      baseline: median(quiet),
      baselineName: 'same, no idle connections',
      compare: 'diff',
      note: '11 runs each',
    },
  ];
}
