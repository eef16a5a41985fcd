import type { Connection } from 'ssh2';

/**
 * The smallest "maximum packet size" (RFC 4254 §5.1) a client may declare for a channel.
 * ssh2 splits what it sends into packets of at most that size in one synchronous loop:
 * at 0 the loop never ends (it sends empty packets for ever), and the whole gateway,
 * every user's connection, stops (found by the SSH fuzzer). OpenSSH sends 32768; a
 * client asking for less than this is broken or hostile.
 */
export const MIN_CHANNEL_PACKET_SIZE = 256;

/** RFC 4254 §5.1. */
const ADMINISTRATIVELY_PROHIBITED = 1;

interface ChannelOpenInfo {
  sender: number;
  packetSize: number;
}
interface ChannelConfirmInfo {
  recipient: number;
  sender: number;
  packetSize: number;
}
/** ssh2's protocol object, seen from inside: its writer and the connection's message handlers (ssh2 is pinned: see agent-channel.ts). */
interface ProtocolInternals {
  channelOpenFail(remote: number, reason: number, description: string): void;
  channelClose(channel: number): void;
  _handlers: {
    CHANNEL_OPEN(p: ProtocolInternals, info: ChannelOpenInfo): void;
    CHANNEL_OPEN_CONFIRMATION(p: ProtocolInternals, info: ChannelConfirmInfo): void;
    CHANNEL_OPEN_FAILURE(p: ProtocolInternals, recipient: number, reason: number, description: string): void;
  };
}

/**
 * Refuses, on one connection, every channel whose client declares a maximum packet size
 * under MIN_CHANNEL_PACKET_SIZE: the channels it opens (session, direct-tcpip, ...) are
 * refused, and the ones the gateway opens to it (agent, forwarded-tcpip) are closed and
 * fail as if refused. Call once, before authentication ends (no channel exists before).
 */
export function guardChannelPacketSizes(client: Connection, refused: (kind: 'open' | 'confirmation', packetSize: number) => void): void {
  const handlers = (client as unknown as { _protocol: ProtocolInternals })._protocol._handlers;
  const open = handlers.CHANNEL_OPEN;
  handlers.CHANNEL_OPEN = (p, info) => {
    if (info.packetSize >= MIN_CHANNEL_PACKET_SIZE) return open(p, info);
    refused('open', info.packetSize);
    p.channelOpenFail(info.sender, ADMINISTRATIVELY_PROHIBITED, `maximum packet size under ${MIN_CHANNEL_PACKET_SIZE} bytes`);
  };
  const confirmed = handlers.CHANNEL_OPEN_CONFIRMATION;
  handlers.CHANNEL_OPEN_CONFIRMATION = (p, info) => {
    if (info.packetSize >= MIN_CHANNEL_PACKET_SIZE) return confirmed(p, info);
    refused('confirmation', info.packetSize);
    // Open on the client's side: closed there; on ours, the open fails as a refusal would.
    p.channelClose(info.sender);
    handlers.CHANNEL_OPEN_FAILURE(p, info.recipient, ADMINISTRATIVELY_PROHIBITED, 'maximum packet size too small');
  };
}
