import type { Connection, TcpipBindInfo } from 'ssh2';
import { MaiError } from '../errors.js';
import { ContainerRelay, type RelayContext } from './container-relay.js';

/** The global requests of remote forwarding (RFC 4254 §7.1). */
export const TCPIP_FORWARD = 'tcpip-forward';
export const CANCEL_TCPIP_FORWARD = 'cancel-tcpip-forward';

interface Forward {
  readonly session: string;
  readonly relay: Promise<ContainerRelay>;
}

/**
 * `ssh -R PORT:HOST:HOSTPORT alice+SESSION@gw` for one connection: inside the session,
 * 127.0.0.1:PORT (the container's loopback only, whatever address the client asked to
 * bind) reaches HOST:HOSTPORT as seen from the client, each connection over a
 * `forwarded-tcpip` channel (RFC 4254 §7.2). A global request names no session, so the
 * login does (`+SESSION`). Needs the certificate's permit-port-forwarding.
 * `cancel-tcpip-forward` and the end of the connection remove the listener.
 *
 * Lifecycle: one per connection; `close()` (at disconnect) ends every forward; idempotent.
 */
export class RemoteForwards {
  private readonly forwards = new Map<string, Forward>();

  constructor(
    private readonly ctx: RelayContext,
    private readonly client: Connection,
  ) {}

  /** Answers a `tcpip-forward` or `cancel-tcpip-forward` request. */
  handle(name: string, info: TcpipBindInfo, accept: (port?: number) => void, reject: () => void): void {
    if (name === TCPIP_FORWARD) void this.listen(info).then(() => accept(), reject);
    else if (name === CANCEL_TCPIP_FORWARD) void this.cancel(info).then(() => accept(), reject);
    else reject();
  }

  async close(): Promise<void> {
    const keys = [...this.forwards.keys()];
    await Promise.all(keys.map((key) => this.remove(key)));
  }

  private async listen(info: TcpipBindInfo): Promise<void> {
    const { identity, events } = this.ctx;
    const port = info.bindPort;
    const ref = identity.loginSession;
    const refused = (reason: string): Promise<never> => {
      events.emit('forward.refused', { kind: 'remote', port, reason });
      return Promise.reject(new Error(reason));
    };
    if (!identity.permissions.portForwarding) return refused('NOT_PERMITTED');
    if (!ref) return refused('NO_SESSION');
    // Port 0 ("any port") would need the container to pick one and say which: not offered.
    if (!Number.isInteger(port) || port < 1 || port > 65535) return refused('BAD_PORT');
    const key = keyOf(info);
    if (this.forwards.has(key)) return refused('ALREADY_FORWARDED');
    let session;
    try {
      session = await this.ctx.sessions.find(identity.actor, ref);
    } catch (err) {
      return refused(err instanceof MaiError ? err.code : 'INTERNAL');
    }
    const relay = ContainerRelay.open(this.ctx, session, { kind: 'tcp', port }, (connection) => {
      // The channel names the address and port the client asked for, which is how it finds its forward.
      this.client.forwardOut(info.bindAddr, port, '127.0.0.1', connection.peerPort, (err, channel) => {
        if (err) {
          events.emit('forward.failed', { kind: 'remote', session: session.id, port, reason: 'CHANNEL_REFUSED' });
          return void connection.drop().catch(() => {});
        }
        events.emit('channel.opened', { kind: 'forwarded-tcpip', session: session.id, port });
        connection.join(channel).catch(() => channel.destroy());
      });
    });
    this.forwards.set(key, { session: session.id, relay });
    try {
      await relay;
    } catch (err) {
      this.forwards.delete(key);
      events.emit('forward.failed', { kind: 'remote', session: session.id, port, reason: err instanceof MaiError ? err.code : 'INTERNAL' });
      throw err;
    }
    events.emit('forward.open', { kind: 'remote', session: session.id, port });
  }

  private async cancel(info: TcpipBindInfo): Promise<void> {
    const key = keyOf(info);
    if (!this.forwards.has(key)) throw new Error('no such forward');
    await this.remove(key);
  }

  private async remove(key: string): Promise<void> {
    const forward = this.forwards.get(key);
    if (!forward) return;
    this.forwards.delete(key);
    const relay = await forward.relay.catch(() => null);
    if (!relay) return;
    await relay.close();
    this.ctx.events.emit('forward.closed', { kind: 'remote', session: forward.session, port: Number(key.split(':').at(-1)) });
  }
}

function keyOf(info: TcpipBindInfo): string {
  return `${info.bindAddr}:${info.bindPort}`;
}
