import { readFileSync } from 'node:fs';
import { GatewayHarness } from '../helpers/gateway-harness.js';
import { Random } from './fuzz-kit.js';
import { certificateKey, connectWithKeys, execProbe, openSessionChannel, remoteId, sendPayload } from './ssh-fuzz-client.js';
import { fuzzChannelOpen, fuzzChannelRequest, fuzzGlobalRequest } from './ssh-fuzz-cases.js';
const [seed, caseNo] = [Number(process.argv[2]), Number(process.argv[3])];
const gw = await new GatewayHarness({ ssh: { failureDelay: { free: 1000000 } } }).start();
const m = await gw.user('mallory');
const made = await gw.ssh(m, 'mallory', ['new', '--name', 'fuzz-mallory']); console.log('new', made.code);
const cert = Buffer.from(readFileSync(m.cert, 'utf8').split(' ')[1]!, 'base64');
const rng = new Random(seed + caseNo);
const inSession = rng.int(3) === 0;
const acc = await connectWithKeys({ port: gw.server.sshPort, username: inSession ? 'mallory+fuzz-mallory' : 'mallory', keys: [certificateKey(readFileSync(m.key, 'utf8'), cert)], localAddress: '127.0.0.2' });
const client = acc!.client; let closed = false; client.on('close', () => { closed = true; console.log('CLOSE'); });
const first = await openSessionChannel(client);
const channels: any[] = first ? [first] : [];
for (let i = 0, n = 10 + rng.int(30); i < n && !closed; i++) {
  const what = rng.int(10);
  if (what === 0 && channels.length < 3) { const c = await openSessionChannel(client); console.log('open', !!c); if (c) channels.push(c); }
  else if (what === 1) { const p = fuzzGlobalRequest(rng, 15); console.log('global', JSON.stringify(p.toString('latin1').slice(0, 120))); sendPayload(client, p); }
  else if (what === 2) { const p = fuzzChannelOpen(rng, 'fuzz-mallory', 15); console.log('chopen', JSON.stringify(p.toString('latin1').slice(0, 120))); sendPayload(client, p); }
  else { const recipient = channels.length && rng.int(20) ? remoteId(rng.pick(channels)) : rng.int(0x100000000); const p = fuzzChannelRequest(rng, recipient, 'fuzz-mallory', 15); console.log('req', recipient, JSON.stringify(p.toString('latin1').slice(0, 120))); sendPayload(client, p); }
  if (rng.int(4) === 0) await new Promise((r) => setTimeout(r, rng.int(20)));
}
for (const c of channels) c.close();
console.log('closed?', closed, 'inSession', inSession);
console.log(await execProbe(client, inSession ? 'echo probe' : 'ls', 15000));
console.log(gw.audit().filter(e => e.ip === '127.0.0.2').map(e => JSON.stringify(e)).join('\n'));
client.end();
await gw.stop();
