import { randomBytes } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { ServerChannel } from 'ssh2';
import type { ExecProcess } from '../backend/backend.js';
import type { SessionRecord } from '../domain/types.js';
import { MaiError } from '../errors.js';
import { bridgeProcess } from './bridge.js';
import type { ConnectionContext } from './connection-context.js';

/** What relays use of their connection's context. */
export type RelayContext = Pick<ConnectionContext, 'id' | 'identity' | 'sessions' | 'events' | 'processes' | 'traffic'>;

/** What a relay listens on inside the container: the agent's socket, or a port on its loopback. */
export type RelayTarget = { kind: 'agent' } | { kind: 'tcp'; port: number };

/** One connection accepted inside the container, waiting for the gateway to carry it. */
export interface RelayConnection {
  /** The connecting process's port (tcp), for the channel's originator fields; 0 for the agent. */
  readonly peerPort: number;
  /** Carries the connection over `channel` until either side closes. */
  join(channel: ServerChannel): Promise<void>;
  /** Refuses it: the process inside sees the connection closed. */
  drop(): Promise<void>;
}

const RELAY_ROOT = '/run/mai/relay';
const HELPER = 'mai-relay';

/**
 * A listener inside a session's container (drivers/base/mai-relay) for connections
 * that go from the session to the ssh client (`ssh -A`, `ssh -R`). The gateway reaches
 * containers only by exec: the listener announces each connection it accepts, and the
 * gateway joins it, with a second exec, to a channel it opens to the client. Its folder
 * (/run/mai/relay/NAME, 0700) is the session user's alone.
 *
 * Lifecycle: `open()` resolves once it listens (rejects when it cannot, e.g. a port in
 * use); `close()` ends it and every connection it carries and removes its folder;
 * idempotent. The connection's own processes are killed with the connection as well.
 */
export class ContainerRelay {
  private closing: Promise<void> | null = null;
  private exited = false;

  private constructor(
    private readonly ctx: RelayContext,
    private readonly session: SessionRecord,
    /** The relay's folder inside the container. */
    readonly dir: string,
    private readonly listener: ExecProcess,
  ) {
    void listener.wait().then(
      () => (this.exited = true),
      () => (this.exited = true),
    );
  }

  static async open(
    ctx: RelayContext,
    session: SessionRecord,
    target: RelayTarget,
    onConnection: (connection: RelayConnection) => void,
  ): Promise<ContainerRelay> {
    const dir = `${RELAY_ROOT}/${ctx.id}-${randomBytes(6).toString('hex')}`;
    const args = target.kind === 'agent' ? ['agent'] : ['tcp', String(target.port)];
    const listener = await ctx.sessions.exec(session, { cmd: [HELPER, 'listen', dir, ...args], tty: false });
    ctx.processes.add(listener);
    const relay = new ContainerRelay(ctx, session, dir, listener);
    let errors = '';
    listener.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk.toString()).slice(-512)));
    listener.stdin.end();
    const ready = new Promise<void>((resolve, reject) => {
      const lines = createInterface({ input: listener.stdout });
      lines.on('line', (line) => {
        const [word, id, port] = line.split(' ');
        if (word === 'ready') resolve();
        else if (word === 'accept' && id && /^\d+$/.test(id)) onConnection(relay.connection(id, Number(port) || 0));
      });
      lines.on('close', () => reject(new MaiError('DOCKER_FAILED', `${HELPER} could not listen: ${errors.trim().split('\n').at(-1) ?? 'no reason given'}`)));
    });
    try {
      await ready;
      return relay;
    } catch (err) {
      await relay.close();
      throw err;
    }
  }

  /** Whether the listener still runs (a stopped session's has not). */
  get alive(): boolean {
    return !this.exited && !this.closing;
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.listener.kill().catch(() => {});
      this.ctx.processes.delete(this.listener);
      // SIGKILL leaves the listener no time to remove its folder: remove it here.
      try {
        const remove = await this.ctx.sessions.exec(this.session, { cmd: [HELPER, 'remove', this.dir], tty: false });
        remove.stdin.end();
        remove.stdout.resume();
        remove.stderr.resume();
        await remove.wait();
      } catch {
        // The session is gone or stopped: so is the folder's content that mattered (the entrypoint clears it on start).
      }
    })();
    return this.closing;
  }

  private connection(id: string, peerPort: number): RelayConnection {
    const connect = (): Promise<ExecProcess> => this.ctx.sessions.exec(this.session, { cmd: [HELPER, 'connect', this.dir, id], tty: false });
    return {
      peerPort,
      join: async (channel) => {
        const proc = await connect();
        await bridgeProcess(channel, proc, false, this.ctx.processes, this.ctx.traffic);
        channel.end();
      },
      drop: async () => {
        const proc = await connect();
        proc.stdin.end();
        proc.stdout.resume();
        proc.stderr.resume();
        await proc.wait();
      },
    };
  }
}
