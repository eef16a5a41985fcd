/**
 * `ssh -A` through the gateway, with the real OpenSSH client and a real `ssh-agent`:
 * inside the session `ssh-add -l` lists the agent's key and git clones from the test
 * git server with it, while no key exists on the server or in the container. Without
 * -A, or with a certificate lacking permit-agent-forwarding, there is no agent. The
 * socket is the connection's alone and goes when it does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { USER_CA_FILE } from '../../gateway/server-keys.js';
import { agentChannelSupport, SSH2_VERSION } from '../../gateway/ssh/agent-channel.js';
import { cleanUp, docker, newRunId, TEST_LABEL } from '../docker/docker-fixtures.js';
import { GatewayHarness, ownBaseDriver, type SshUser } from '../helpers/gateway-harness.js';
import { startGitServer } from '../helpers/git-server.js';
import { eventually, run } from '../helpers/run.js';

const test = suite('ssh agent forwarding');
const runId = newRunId();
const network = `mai-test-${runId}`;
const GIT_HOST = 'gitserver.test';
const gw = new GatewayHarness({ docker: { network }, drivers: [ownBaseDriver()] });
let alice: SshUser;
let agent: ChildProcess | null = null;
let agentEnv: NodeJS.ProcessEnv;
let gitKey = '';
let fingerprint = '';
let sessionId = '';

const ready = (async () => {
  await gw.start();
  alice = await gw.user('alice');
  // The key git accepts lives only in the agent on "the laptop" (this test).
  gitKey = join(gw.dir.path, 'git_ed25519');
  assert.is((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'laptop-key', '-f', gitKey])).code, 0);
  const socket = join(gw.dir.path, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
  agentEnv = { ...process.env, SSH_AUTH_SOCK: socket };
  await eventually(async () => (await run('ssh-add', ['-l'], { env: agentEnv })).code === 1, 10_000, 'ssh-agent');
  assert.is((await run('ssh-add', [gitKey], { env: agentEnv })).code, 0);
  fingerprint = (await run('ssh-keygen', ['-lf', `${gitKey}.pub`])).stdout.split(' ')[1]!;
  assert.match(fingerprint, /^SHA256:/);
  const net = await docker(['network', 'create', '--label', `${TEST_LABEL}=${runId}`, network]);
  assert.is(net.code, 0, net.stderr);
  await startGitServer({ runId, network, hosts: [GIT_HOST], authorizedKey: readFileSync(`${gitKey}.pub`, 'utf8') });
  const made = await gw.ssh(alice, 'alice', ['new', '--name', 'agent']);
  assert.is(made.code, 0, made.stderr);
  sessionId = made.stdout.trim();
})();

test.before(async () => {
  await ready;
});
test.after(async () => {
  if (agent && agent.exitCode === null) agent.kill();
  await gw.stop();
  await cleanUp(runId);
});

test('the ssh2 internals agent forwarding relies on are the pinned ones', () => {
  const require = createRequire(import.meta.url);
  const declared = (require('../../package.json') as { dependencies: Record<string, string> }).dependencies['ssh2'];
  assert.is(declared, SSH2_VERSION, 'package.json must pin ssh2 exactly: gateway/ssh/agent-channel.ts uses its internals');
  const support = agentChannelSupport();
  assert.is(support.version, SSH2_VERSION, `ssh2 ${support.version} installed; agent-channel.ts is written against ${SSH2_VERSION}: re-read its internals`);
  assert.ok(support.ok);
  const Protocol = require('ssh2/lib/protocol/Protocol.js') as { prototype: Record<string, unknown> };
  assert.type(Protocol.prototype['openssh_authAgent'], 'function');
  const server = readFileSync(require.resolve('ssh2/lib/server.js'), 'utf8');
  assert.match(server, 'const localChan = self._chanMgr.add(wrapper);', "ssh2's own channel opening changed");
});

test('ssh -A: ssh-add -l in the session lists the agent\'s key', async () => {
  const r = await gw.ssh(alice, 'alice', [sessionId, 'ssh-add -l'], { extra: ['-A'], env: agentEnv });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, fingerprint);
  assert.match(r.stdout, 'laptop-key');
});

test('ssh -A: git clones over SSH with the agent\'s key alone; no key on the server or in the container', async () => {
  const script = [
    'set -e',
    `ssh-keyscan -t ed25519 ${GIT_HOST} > ~/.ssh-known 2>/dev/null`,
    `GIT_SSH_COMMAND="ssh -o UserKnownHostsFile=$HOME/.ssh-known -o BatchMode=yes" git clone -q ssh://git@${GIT_HOST}/srv/git/repo.git /tmp/clone`,
    'cat /tmp/clone/README',
    'ls -A ~/.ssh 2>/dev/null | grep -v known_hosts || true',
    'grep -rl -D skip "OPENSSH PRIVATE KEY" /home /app /run/mai /tmp 2>/dev/null || true',
  ].join('\n');
  const r = await gw.ssh(alice, `alice+${sessionId}`, [script], { extra: ['-A'], env: agentEnv, timeoutMs: 120_000 });
  assert.is(r.code, 0, r.stderr);
  assert.is(r.stdout, 'hello from the test git server\n', 'cloned, and no private key anywhere in the session');
  // The private seed: in an ed25519 key file, the 4th line of the body after "AAAEA" (the lines before hold headers and the public key).
  const secret = readFileSync(gitKey, 'utf8').split('\n')[4]!.slice(6);
  assert.ok(secret.length >= 40);
  for (const file of filesBelow(gw.dataDir)) assert.not.ok(readFileSync(file).toString('latin1').includes(secret), `${file} holds the key`);
  // The same clone without the agent is refused by the git server.
  const without = await gw.ssh(alice, `alice+${sessionId}`, ['rm -rf /tmp/clone2; GIT_SSH_COMMAND="ssh -o UserKnownHostsFile=$HOME/.ssh-known -o BatchMode=yes" git clone -q ssh://git@gitserver.test/srv/git/repo.git /tmp/clone2'], { env: agentEnv });
  assert.is.not(without.code, 0);
  assert.match(without.stderr, 'Permission denied');
});

test('the socket is the connection\'s alone (0700 folder, 0600 socket) and goes with it', async () => {
  const r = await gw.ssh(alice, 'alice', [sessionId, 'echo "$SSH_AUTH_SOCK"; stat -c "%a %U" "$(dirname "$SSH_AUTH_SOCK")" "$SSH_AUTH_SOCK"'], {
    extra: ['-A'],
    env: agentEnv,
  });
  assert.is(r.code, 0, r.stderr);
  const [socket, dirMode, sockMode] = r.stdout.trim().split('\n');
  assert.match(socket!, /^\/run\/mai\/relay\/[a-f0-9]+-[a-f0-9]+\/agent$/);
  assert.is(dirMode, '700 mai');
  assert.is(sockMode, '600 mai');
  await eventually(async () => (await docker(['exec', `mai-${sessionId}`, 'test', '-e', socket!])).code !== 0, 15_000, 'the socket removed');
  const count = (event: string) => gw.audit().filter((e) => e.event === event && e.kind === 'agent').length;
  await eventually(async () => count('forward.open') >= 1 && count('forward.closed') === count('forward.open'), 10_000, 'each agent forward closed');
});

test('without -A there is no agent', async () => {
  const r = await gw.ssh(alice, 'alice', [sessionId, 'echo "[$SSH_AUTH_SOCK]"; ssh-add -l; echo "exit $?"'], { env: agentEnv });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '[]\n');
  assert.match(r.stdout, 'exit 2');
});

test('a certificate without permit-agent-forwarding gets no agent, even with -A', async () => {
  const key = join(gw.dir.path, 'noagent');
  assert.is((await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key])).code, 0);
  const signed = await run('ssh-keygen', ['-q', '-s', join(gw.dataDir, USER_CA_FILE), '-I', 'no-agent', '-n', 'alice', '-V', '-5m:+1h', '-O', 'no-agent-forwarding', `${key}.pub`]);
  assert.is(signed.code, 0, signed.stderr);
  const user = { name: 'alice', key, cert: `${key}-cert.pub` };
  const r = await gw.ssh(user, 'alice', [sessionId, 'echo "[$SSH_AUTH_SOCK]"; ssh-add -l; echo "exit $?"'], { extra: ['-A'], env: agentEnv });
  assert.is(r.code, 0, r.stderr);
  assert.match(r.stdout, '[]\n');
  assert.match(r.stdout, 'exit 2');
  await eventually(async () => gw.audit().some((e) => e.event === 'forward.refused' && e.kind === 'agent' && e.reason === 'NOT_PERMITTED'), 10_000, 'the refusal audited');
});

function filesBelow(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesBelow(path) : [path];
  });
}

test.run();
