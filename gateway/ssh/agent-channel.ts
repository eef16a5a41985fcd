import { createRequire } from 'node:module';
import type { Connection, ServerChannel } from 'ssh2';

/**
 * Opening an `auth-agent@openssh.com` channel from the server to the client: what
 * `ssh -A` asks a server to do each time something wants the forwarded agent
 * (OpenSSH PROTOCOL.agent). ssh2's server writes the message (Protocol's
 * `openssh_authAgent`) and handles its answer like any channel it opened, but has no
 * public method for it, as it has `forwardOut` for forwarded-tcpip. This module
 * does what `openChannel` in ssh2/lib/server.js does for those, with the same
 * internals, and nothing else touches them.
 *
 * PINNED to ssh2 1.17.0 (package.json names exactly that version): the internals are
 * `Connection._chanMgr.add(callback)` (reserves a channel id; the callback gets the
 * Channel on CHANNEL_OPEN_CONFIRMATION, an Error on CHANNEL_OPEN_FAILURE) and
 * `Connection._protocol.openssh_authAgent(id, window, packetSize)`.
 * test/ssh/ssh-agent-forwarding.test.ts checks the version and these internals, so a
 * different ssh2 fails the tests loudly rather than forwarding agents wrongly.
 *
 *   byte      SSH_MSG_CHANNEL_OPEN
 *   string    "auth-agent@openssh.com"
 *   uint32    sender channel
 *   uint32    initial window size
 *   uint32    maximum packet size
 */
export const SSH2_VERSION = '1.17.0';
export const AGENT_CHANNEL_TYPE = 'auth-agent@openssh.com';

interface ChannelCallback {
  (err: Error | undefined, channel?: ServerChannel): void;
  type?: string;
}

interface Ssh2Internals {
  _chanMgr?: { add(callback: ChannelCallback): number };
  _protocol?: { openssh_authAgent?(channel: number, window: number, packetSize: number): void };
}

const require = createRequire(import.meta.url);
/** ssh2's own window and packet sizes for channels it opens (lib/Channel.js). */
const { MAX_WINDOW, PACKET_SIZE } = require('ssh2/lib/Channel.js') as { MAX_WINDOW: number; PACKET_SIZE: number };

/** ssh2's version as installed, and whether the internals this module uses are there. */
export function agentChannelSupport(): { version: string; ok: boolean } {
  const version = (require('ssh2/package.json') as { version: string }).version;
  return { version, ok: version === SSH2_VERSION && Number.isInteger(MAX_WINDOW) && Number.isInteger(PACKET_SIZE) };
}

/** Whether `client` has what `openAgentChannel` needs (checked before saying yes to `ssh -A`). */
export function canOpenAgentChannel(client: Connection): boolean {
  const internals = client as unknown as Ssh2Internals;
  return (
    agentChannelSupport().ok &&
    typeof internals._chanMgr?.add === 'function' &&
    typeof internals._protocol?.openssh_authAgent === 'function'
  );
}

/** Asks the client to open a channel to its agent; rejects when it refuses (or the connection has no channel ids left). */
export function openAgentChannel(client: Connection): Promise<ServerChannel> {
  if (!canOpenAgentChannel(client)) return Promise.reject(new Error(`agent forwarding needs ssh2 ${SSH2_VERSION}`));
  const internals = client as unknown as Required<Ssh2Internals> & { _protocol: { openssh_authAgent(c: number, w: number, p: number): void } };
  return new Promise((resolve, reject) => {
    const callback: ChannelCallback = (err, channel) => (err || !channel ? reject(err ?? new Error('no channel')) : resolve(channel));
    // ssh2 reads the type when the client closes instead of confirming.
    callback.type = AGENT_CHANNEL_TYPE;
    const id = internals._chanMgr.add(callback);
    if (id === -1) return reject(new Error('no free channel ids'));
    internals._protocol.openssh_authAgent(id, MAX_WINDOW, PACKET_SIZE);
  });
}
