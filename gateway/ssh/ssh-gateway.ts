import { randomBytes } from 'node:crypto';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import ssh2, { type ClientInfo, type Connection } from 'ssh2';
import type { ExecProcess } from '../backend/backend.js';
import type { Events } from '../domain/events.js';
import type { SessionService } from '../domain/session-service.js';
import type { Logger } from '../log.js';
import { AgentForwarding } from './agent-forward.js';
import { OFFERS, offerFor, peekClientIdent, type OfferName } from './algorithm-offer.js';
import { AuthThrottle } from './auth-throttle.js';
import { ConnectionAuthenticator } from './authenticator.js';
import type { Traffic } from './bridge.js';
import type { ConnectionContext } from './connection-context.js';
import type { UserDirectory } from '../users/user-directory.js';
import { holdServerKexinit } from './kexinit-pacing.js';
import { guardChannelPacketSizes } from './packet-size-guard.js';
import { StartupLimits, type StartupLimitOptions } from './startup-limits.js';
import { handleDirectTcpip } from './port-forward.js';
import { RemoteForwards } from './remote-forward.js';
import { SessionChannel } from './session-channel.js';
import { refuseChannels } from './unavailable-channels.js';

export interface SshGatewayOptions {
  hostKey: string;
  trustedCaKeys: Buffer[];
  sessions: SessionService;
  users: UserDirectory;
  envAllow: readonly string[];
  maxAuthTries: number;
  failureDelay: { free: number; baseMs: number; maxMs: number };
  /** Bounds on connections still authenticating (OpenSSH's MaxStartups, LoginGraceTime). */
  startups: StartupLimitOptions;
  /** Session channels one connection may hold open (OpenSSH's MaxSessions); admins are exempt. */
  channelsPerConnection: number;
  /** Name users type to reach the gateway, for usage text. */
  publicHost: string;
  /** The event bus; each connection emits through a view of it carrying its id and address. */
  events: Events;
  /** Counts the bytes every connection carries (the server's `/metrics`). */
  traffic?: Traffic;
  log: Logger;
  now?: () => Date;
}

/** Longest wait for a client's KEXINIT before we send ours anyway (see kexinit-pacing). */
const KEXINIT_MAX_HOLD_MS = 100;

/**
 * Longest wait for a client's identification line before its offer is chosen
 * without it (see algorithm-offer). Clients send it as soon as they connect, so it
 * arrives with the connection and waiting for it costs no round trip; one that
 * waits for ours instead gets, after this delay, the offer every client can use.
 */
const IDENT_MAX_WAIT_MS = 500;

interface Tracked {
  client: Connection;
  /** Open channels; shutdown waits for them. */
  channels: number;
}

/**
 * The SSH server: accepts connections, authenticates certificates, and hands each
 * session channel and direct-tcpip request to the router. No policy lives here.
 * Lifecycle: `listen()` once; `close(graceMs)` stops accepting, lets channels
 * finish within the grace period, then disconnects the rest (their processes
 * are killed as their channels close). `close` is idempotent.
 */
export class SshGateway {
  /** One ssh2 server per algorithm offer (ssh2 fixes the offer per server), one connection handler. */
  private readonly servers: Record<OfferName, ssh2.Server>;
  /** Our own listener: each socket is admitted, gets its offer, is paced, then handed to ssh2. */
  private readonly listener: Server;
  private readonly clients = new Set<Tracked>();
  /** Accepted sockets by `ip:port`, until they close: ssh2 hands a connection over without its socket. */
  private readonly sockets = new Map<string, Socket>();
  /** Forwards being taken down after their connections closed; shutdown waits for them. */
  private readonly teardowns = new Set<Promise<void>>();
  private readonly throttle: AuthThrottle;
  private readonly startups: StartupLimits;
  private closing: Promise<void> | null = null;

  constructor(private readonly options: SshGatewayOptions) {
    this.throttle = new AuthThrottle(options.failureDelay);
    this.startups = new StartupLimits(options.startups, (ip, reason) => options.events.emit('connection.refused', { ip, reason }));
    const server = (offer: OfferName): ssh2.Server => {
      const config = { hostKeys: [options.hostKey], ident: 'mai', algorithms: OFFERS[offer] };
      return new ssh2.Server(config, (client, info) => this.accept(client, info, offer)).on('error', (err: Error) =>
        options.log.error('ssh.server_error', { error: err.message }),
      );
    };
    this.servers = { 'aes-gcm': server('aes-gcm'), 'aes-gcm-or-ctr': server('aes-gcm-or-ctr') };
    this.listener = createServer((socket) => {
      if (!this.startups.admit(socket)) return;
      const key = `${socket.remoteAddress}:${socket.remotePort}`;
      this.sockets.set(key, socket);
      socket.once('close', () => this.sockets.delete(key));
      // A connection ssh2 ends is closed once our last bytes are out (see accept's 'error').
      socket.once('finish', () => socket.destroy());
      peekClientIdent(socket, IDENT_MAX_WAIT_MS, (ident) => {
        holdServerKexinit(socket, KEXINIT_MAX_HOLD_MS);
        // Paused, with the line put back: ssh2 resumes it once its own reader is on.
        this.servers[offerFor(ident)].injectSocket(socket);
      });
    });
    this.listener.on('error', (err: Error) => options.log.error('ssh.server_error', { error: err.message }));
  }

  /** The port listened on, once `listen` has resolved. */
  get port(): number | undefined {
    const address = this.listener.address();
    return address && typeof address === 'object' ? address.port : undefined;
  }

  async listen(port: number, host: string): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.listener.once('error', reject);
      this.listener.listen(port, host, () => {
        this.listener.off('error', reject);
        resolve();
      });
    });
    return (this.listener.address() as AddressInfo).port;
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => this.listener.close(() => resolve()));
      const deadline = Date.now() + graceMs;
      while ([...this.clients].some((c) => c.channels > 0) && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const tracked of this.clients) tracked.client.end();
      await stopped;
      await Promise.all([...this.teardowns]);
    })();
    return this.closing;
  }

  private accept(client: Connection, { ip, port, header }: ClientInfo, offer: OfferName): void {
    const id = randomBytes(6).toString('hex');
    const events = this.options.events.with({ conn: id, ip });
    const tracked: Tracked = { client, channels: 0 };
    const processes = new Set<ExecProcess>();
    const bytes = { in: 0, out: 0 };
    const traffic: Traffic = {
      received: (n) => {
        bytes.in += n;
        this.options.traffic?.received(n);
      },
      sent: (n) => {
        bytes.out += n;
        this.options.traffic?.sent(n);
      },
    };
    let forwards: { agent: AgentForwarding; remote: RemoteForwards } | null = null;
    if (this.closing) return void client.end();
    this.clients.add(tracked);
    // Small request/reply packets (auth, exec, exit-status) must not wait for Nagle + delayed ACK (~40 ms each).
    // (ssh2 has it on server connections too; its typings only declare it on Client.)
    (client as Connection & { setNoDelay(noDelay: boolean): void }).setNoDelay(true);
    events.emit('connect', { client: header.versions.software, offer });
    client.once('handshake', (negotiated) => events.emit('connection.handshake', { kex: negotiated.kex, cipher: negotiated.cs.cipher, mac: negotiated.cs.mac || null }));
    guardChannelPacketSizes(client, (kind, packetSize) => events.emit('channel.refused', { reason: 'PACKET_SIZE', kind, packetSize }));
    const auth = new ConnectionAuthenticator(
      {
        trustedCaKeys: this.options.trustedCaKeys,
        users: this.options.users,
        throttle: this.throttle,
        maxTries: this.options.maxAuthTries,
        events,
        now: this.options.now,
      },
      ip,
      id,
    );
    client.on('authentication', (ctx) => {
      auth.handle(ctx).then(
        (keep) => keep || client.end(),
        (err: unknown) => {
          events.emit('auth.error', { error: String(err) });
          ctx.reject();
        },
      );
    });
    client.on('ready', () => {
      this.startups.authenticated(ip, port);
      if (auth.storeUnavailable) return refuseChannels(client, auth.storeUnavailable);
      const identity = auth.identity!;
      const base = { id, identity, sessions: this.options.sessions, events: events.with({ user: identity.actor.name }), processes, traffic };
      const agent = new AgentForwarding(base, client);
      const remote = new RemoteForwards(base, client);
      forwards = { agent, remote };
      const ctx: ConnectionContext = { ...base, envAllow: this.options.envAllow, host: this.options.publicHost, agent };
      client.on('session', (accept, reject) => {
        if (tracked.channels >= this.options.channelsPerConnection && !identity.actor.admin) {
          ctx.events.emit('channel.refused', { reason: 'QUOTA_EXCEEDED', open: tracked.channels });
          return reject();
        }
        const session = accept();
        tracked.channels++;
        session.once('close', () => tracked.channels--);
        ctx.events.emit('channel.opened', { kind: 'session' });
        new SessionChannel(session, ctx);
      });
      client.on('tcpip', (accept, reject, info) => handleDirectTcpip(ctx, info, accept, reject));
      client.on('request', (accept, reject, name, info) => remote.handle(name, info, accept ?? (() => {}), reject ?? (() => {})));
    });
    const socket = this.sockets.get(`${ip}:${port}`);
    client.on('error', (err: Error) => {
      events.emit('connection.error', { error: err.message });
      // ssh2 ends the connection next, with end(), which leaves it reading. After a packet
      // length it refused, its reader kept that length and allocated a packet of it (up to
      // 2 GB) from the next bytes an unauthenticated client sent (found by the SSH fuzzer):
      // nothing more is read from a connection that failed.
      socket?.pause();
    });
    client.on('close', () => {
      this.clients.delete(tracked);
      // Docker cannot end an exec'd process when its client goes: we must.
      for (const proc of processes) void proc.kill().catch((err: unknown) => events.emit('process.kill_failed', { error: String(err) }));
      events.emit('disconnect', { killed: processes.size, bytesIn: bytes.in, bytesOut: bytes.out });
      if (forwards) {
        // The agent's socket and the -R listeners go with the connection.
        const teardown = Promise.all([forwards.agent.close(), forwards.remote.close()]).then(() => {});
        this.teardowns.add(teardown);
        void teardown.finally(() => this.teardowns.delete(teardown));
      }
    });
  }
}
