import type { Connection } from 'ssh2';
import type { SessionRecord } from '../domain/types.js';
import { MaiError } from '../errors.js';
import { canOpenAgentChannel, openAgentChannel } from './agent-channel.js';
import { ContainerRelay, type RelayConnection, type RelayContext } from './container-relay.js';

/**
 * `ssh -A` for one connection: in each session the connection's commands run in, a
 * socket (SSH_AUTH_SOCK) whose every connection is carried to the client's agent over
 * an `auth-agent@openssh.com` channel. No key ever reaches the server or the container:
 * only the agent protocol's requests and answers pass, as with OpenSSH's own server.
 * The socket's folder is 0700 and known only to the connection's own commands; it goes
 * when the connection does.
 *
 * Lifecycle: one per connection; `close()` (at disconnect) ends every relay; idempotent.
 */
export class AgentForwarding {
  private readonly relays = new Map<string, Promise<ContainerRelay>>();
  private closed = false;

  constructor(
    private readonly ctx: RelayContext,
    private readonly client: Connection,
  ) {}

  /** Whether agent channels can be opened at all (see agent-channel.ts). */
  get available(): boolean {
    return canOpenAgentChannel(this.client);
  }

  /** The agent socket's path in the session, set up on first use (again if the session restarted since). */
  async socketFor(session: SessionRecord): Promise<string> {
    if (this.closed) throw new MaiError('CONNECTION_CLOSED', 'the connection is closing');
    let relay = this.relays.get(session.id);
    if (relay && !(await relay.catch(() => null))?.alive) relay = undefined;
    if (!relay) {
      relay = ContainerRelay.open(this.ctx, session, { kind: 'agent' }, (connection) => void this.carry(session, connection));
      this.relays.set(session.id, relay);
      relay.then(
        () => this.ctx.events.emit('forward.open', { kind: 'agent', session: session.id }),
        (err: unknown) => {
          this.relays.delete(session.id);
          this.ctx.events.emit('forward.failed', { kind: 'agent', session: session.id, reason: err instanceof MaiError ? err.code : 'INTERNAL' });
        },
      );
    }
    return `${(await relay).dir}/agent`;
  }

  async close(): Promise<void> {
    this.closed = true;
    const relays = [...this.relays.entries()];
    this.relays.clear();
    await Promise.all(
      relays.map(async ([session, pending]) => {
        const relay = await pending.catch(() => null);
        if (!relay) return;
        await relay.close();
        this.ctx.events.emit('forward.closed', { kind: 'agent', session });
      }),
    );
  }

  /** One use of the agent inside the session: a channel to the client's agent, or, refused, a closed connection. */
  private async carry(session: SessionRecord, connection: RelayConnection): Promise<void> {
    const failed = (err: unknown) =>
      this.ctx.events.emit('forward.failed', { kind: 'agent', session: session.id, reason: err instanceof MaiError ? err.code : 'CHANNEL_REFUSED' });
    let channel;
    try {
      channel = await openAgentChannel(this.client);
    } catch (err) {
      failed(err);
      return connection.drop().catch(() => {});
    }
    this.ctx.events.emit('channel.opened', { kind: 'auth-agent', session: session.id });
    await connection.join(channel).catch((err: unknown) => {
      failed(err);
      channel.destroy();
    });
  }
}
