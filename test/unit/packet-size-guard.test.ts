/**
 * The channel packet-size guard on ssh2's message handlers: channels the client opens
 * with a tiny maximum packet size are refused, and ones the gateway opens to it (agent,
 * forwarded-tcpip) that it confirms with one are closed and failed. The open side runs
 * against the real gateway in test/fuzz/ssh-server.test.ts; the confirmation side, which
 * a stock client cannot be made to send, is checked here on the handlers themselves.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from 'ssh2';
import { guardChannelPacketSizes, MIN_CHANNEL_PACKET_SIZE } from '../../gateway/ssh/packet-size-guard.js';

function fakeConnection() {
  const calls: string[] = [];
  const protocol = {
    channelOpenFail: (remote: number, reason: number) => calls.push(`openFail ${remote} ${reason}`),
    channelClose: (channel: number) => calls.push(`close ${channel}`),
    _handlers: {
      CHANNEL_OPEN: (_p: unknown, info: { sender: number }) => calls.push(`open ${info.sender}`),
      CHANNEL_OPEN_CONFIRMATION: (_p: unknown, info: { recipient: number }) => calls.push(`confirmed ${info.recipient}`),
      CHANNEL_OPEN_FAILURE: (_p: unknown, recipient: number, reason: number) => calls.push(`failed ${recipient} ${reason}`),
    },
  };
  return { calls, protocol, client: { _protocol: protocol } as unknown as Connection };
}

test('an open with a packet size under the minimum is refused; at the minimum it goes through', () => {
  const { calls, protocol, client } = fakeConnection();
  const refused: string[] = [];
  guardChannelPacketSizes(client, (kind, size) => refused.push(`${kind} ${size}`));
  protocol._handlers.CHANNEL_OPEN(protocol, { sender: 7, packetSize: 0 } as never);
  protocol._handlers.CHANNEL_OPEN(protocol, { sender: 8, packetSize: MIN_CHANNEL_PACKET_SIZE } as never);
  assert.equal(calls, ['openFail 7 1', 'open 8']);
  assert.equal(refused, ['open 0']);
});

test('a confirmation with a packet size under the minimum closes the client side and fails ours', () => {
  const { calls, protocol, client } = fakeConnection();
  const refused: string[] = [];
  guardChannelPacketSizes(client, (kind, size) => refused.push(`${kind} ${size}`));
  protocol._handlers.CHANNEL_OPEN_CONFIRMATION(protocol, { recipient: 3, sender: 90, packetSize: 1 } as never);
  protocol._handlers.CHANNEL_OPEN_CONFIRMATION(protocol, { recipient: 4, sender: 91, packetSize: 32768 } as never);
  assert.equal(calls, ['close 90', 'failed 3 1', 'confirmed 4']);
  assert.equal(refused, ['confirmation 1']);
});

test.run();
