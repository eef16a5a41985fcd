import type { Session, ServerChannel } from 'ssh2';
import type { ExecProcess } from '../backend/backend.js';
import type { Progress } from '../domain/driver-builder.js';
import type { SessionRecord } from '../domain/types.js';
import { MaiError, toMaiError } from '../errors.js';
import { bridgeProcess, failChannel, finish } from './bridge.js';
import type { ConnectionContext } from './connection-context.js';
import { runManagement } from './management.js';
import { routeRequest } from './route.js';
import { clampTerminal, resizeToLatest, sanitizeTerm, SIGNAL_NAMES } from '../domain/terminal.js';
import { envAllowed, SFTP_SERVER_PATH, SUBSYSTEM_SFTP } from './wire.js';

/**
 * Variables one channel may set, as in OpenSSH's sshd (it ignores env requests past 128):
 * each is kept for the channel's life and handed to its command, so without a bound a
 * client could make the gateway hold any amount of memory (20,000 requests held 80 MB).
 */
const MAX_ENV_VARIABLES = 128;

interface Pty {
  term: string;
  cols: number;
  rows: number;
}

/**
 * One SSH "session" channel (RFC 4254 §6): collects pty-req and env, then serves
 * exactly one shell, exec or subsystem request by routing it into a container.
 * window-change and signal requests go to the running process.
 */
export class SessionChannel {
  private pty: Pty | null = null;
  private readonly env: Record<string, string> = {};
  private proc: ExecProcess | null = null;
  private resize: ((cols: number, rows: number) => void) | null = null;
  private started = false;
  /** The client asked for its agent (`ssh -A`), and may have it. */
  private agent = false;

  constructor(
    session: Session,
    private readonly ctx: ConnectionContext,
  ) {
    session.on('pty', (accept, reject, info) => {
      if (!ctx.identity.permissions.pty) return reject?.();
      this.pty = { term: sanitizeTerm(info.term), cols: clampTerminal(info.cols, 80), rows: clampTerminal(info.rows, 24) };
      accept?.();
    });
    session.on('env', (accept, reject, info) => {
      const full = !Object.hasOwn(this.env, info.key) && Object.keys(this.env).length >= MAX_ENV_VARIABLES;
      if (!envAllowed(ctx.envAllow, info.key) || info.val.length > 4096 || full) return reject?.();
      this.env[info.key] = info.val;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.pty) {
        this.pty.cols = clampTerminal(info.cols, this.pty.cols);
        this.pty.rows = clampTerminal(info.rows, this.pty.rows);
        this.resize?.(this.pty.cols, this.pty.rows);
      }
      accept?.();
    });
    session.on('signal', (accept, reject, info) => {
      const name = info.name.replace(/^SIG/, '');
      if (!SIGNAL_NAMES.has(name) || !this.proc) return reject?.();
      void this.proc.signal(name).catch(() => {});
      accept?.();
    });
    // ssh2 gives `reject` only when the client wants a reply (any request may say it does not).
    session.on('shell', (accept, reject) => this.serve(accept, reject, undefined));
    session.on('exec', (accept, reject, info) => this.serve(accept, reject, info.command));
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== SUBSYSTEM_SFTP) return reject?.();
      // A forced command replaces whatever the client asks for; sftp would be a way around it (OpenSSH refuses it too).
      if (ctx.identity.forceCommand !== undefined) {
        ctx.events.emit('channel.refused', { reason: 'FORCE_COMMAND', subsystem: info.name });
        return reject?.();
      }
      this.serve(accept, reject, undefined, info.name);
    });
    session.on('auth-agent', (accept, reject) => {
      // A certificate without permit-agent-forwarding gets no agent, as with OpenSSH.
      if (!ctx.identity.permissions.agentForwarding || !ctx.agent.available) {
        ctx.events.emit('forward.refused', { kind: 'agent', reason: ctx.identity.permissions.agentForwarding ? 'UNSUPPORTED' : 'NOT_PERMITTED' });
        return reject?.();
      }
      this.agent = true;
      accept?.();
    });
    session.on('x11', (_accept, reject) => reject?.());
  }

  /**
   * Runs the channel's one request to completion; every failure becomes a line on stderr
   * and an exit code. A channel runs one shell, exec or subsystem (RFC 4254 §6.5): a later
   * one is refused, as is one on a channel already closing (ssh2's `accept` gives nothing then).
   */
  private serve(accept: () => ServerChannel | undefined, reject: (() => void) | undefined, command: string | undefined, subsystem?: string): void {
    const channel = this.started ? undefined : accept();
    if (!channel) return reject?.();
    this.started = true;
    void this.route(channel, command, subsystem).catch((err: unknown) => {
      const error = toMaiError(err);
      this.ctx.events.emit('channel.failed', { code: error.code, message: error.message });
      failChannel(channel, error.message, this.pty ? '\r\n' : '\n', error.code === 'INTERNAL' ? 255 : 1);
    });
  }

  private async route(channel: ServerChannel, command: string | undefined, subsystem?: string): Promise<void> {
    const { identity, events } = this.ctx;
    if (subsystem) {
      const ref = identity.loginSession;
      if (!ref) throw new MaiError('INPUT_INVALID', `${subsystem} needs the session in the login name: ${identity.actor.name}+SESSION@${this.ctx.host}`);
      events.emit('channel.subsystem', { subsystem, session: ref });
      const session = await this.ctx.sessions.find(identity.actor, ref);
      return this.run(channel, session, 'sftp', false, (progress) => this.ctx.sessions.exec(session, { cmd: [SFTP_SERVER_PATH], tty: false, env: this.env }, progress));
    }
    // A certificate's force-command replaces the request, as in OpenSSH.
    const route = routeRequest(identity.loginSession, identity.forceCommand ?? command);
    events.emit('channel.request', { route: route.kind, pty: Boolean(this.pty), ...('session' in route ? { session: route.session } : {}) });
    if (route.kind === 'exec') {
      const session = await this.ctx.sessions.find(identity.actor, route.session);
      events.emit('channel.command', { session: session.id, command: route.command.slice(0, 1024) });
      const tty = Boolean(this.pty);
      return this.run(channel, session, 'exec', tty, async (progress) => {
        const env = { ...(await this.sessionEnv(session)), ...(this.pty ? { TERM: this.pty.term } : {}) };
        const options = { cmd: ['bash', '-c', route.command], tty, env, ...(this.pty ? { cols: this.pty.cols, rows: this.pty.rows } : {}) };
        return this.ctx.sessions.exec(session, options, progress);
      });
    }
    if (route.kind === 'watch') {
      if (!this.pty) throw new MaiError('INPUT_INVALID', `watch needs a terminal: ssh -t ${identity.actor.name}@${this.ctx.host} watch ${route.session}`);
      const session = await this.ctx.sessions.find(identity.actor, route.session);
      return this.run(channel, session, 'watch', true, (progress) => this.attach(session, progress, true));
    }
    const session = route.kind === 'shell' ? await this.ctx.sessions.find(identity.actor, route.session) : await runManagement(route, channel, this.ctx, Boolean(this.pty));
    if (typeof session === 'number') return finish(channel, session);
    // `new` without a pty has printed the id and returned 0 above; with one, it attaches.
    return this.run(channel, session, 'shell', Boolean(this.pty), (progress) => this.attach(session, progress));
  }

  /**
   * A shell: with a pty the session's attach (tool and shell in tmux, shared by every
   * terminal attached; `readOnly` for watch), without one a piped login shell.
   */
  private async attach(session: SessionRecord, progress: Progress, readOnly = false): Promise<ExecProcess> {
    const { pty } = this;
    const env = await this.sessionEnv(session);
    if (!pty) return this.ctx.sessions.exec(session, { cmd: ['bash', '-l'], tty: false, env }, progress);
    const by = this.ctx.identity.actor;
    return this.ctx.sessions.attach(session, { cols: pty.cols, rows: pty.rows, term: pty.term, env, by, readOnly }, progress);
  }

  /** The client's allowed variables, and the forwarded agent's socket when it asked for it. */
  private async sessionEnv(session: SessionRecord): Promise<Record<string, string>> {
    if (!this.agent) return this.env;
    return { ...this.env, SSH_AUTH_SOCK: await this.ctx.agent.socketFor(session) };
  }

  private async run(
    channel: ServerChannel,
    session: SessionRecord,
    kind: 'shell' | 'exec' | 'sftp' | 'watch',
    tty: boolean,
    start: (progress: Progress) => Promise<ExecProcess>,
  ): Promise<void> {
    // Emitted once the session is resolved (the actor may reach it): with its id and owner, whatever the route.
    this.ctx.events.emit('session.connect', { session: session.id, owner: session.owner, kind, pty: Boolean(this.pty) });
    const eol = this.pty ? '\r\n' : '\n';
    const startSize = this.pty && { cols: this.pty.cols, rows: this.pty.rows };
    const began = performance.now();
    const proc = await start((line) => channel.stderr.write(`${line}${eol}`));
    this.proc = proc;
    this.resize = resizeToLatest(proc);
    // Window changes that came while the process was starting (a stopped session takes seconds) apply now.
    if (this.pty && startSize && (this.pty.cols !== startSize.cols || this.pty.rows !== startSize.rows)) this.resize(this.pty.cols, this.pty.rows);
    let code = await bridgeProcess(channel, proc, tty, this.ctx.processes, this.ctx.traffic);
    const ending = await this.ctx.sessions.endingDuring(session, code);
    if (ending === 'ended') {
      // `mai stop` inside: the container stopped under the process; that is an ending, not a failure.
      if (channel.writable) channel.stderr.write(`mai: session ${session.id} ended${eol}`);
      code = 0;
    } else if (ending === 'stopped' && channel.writable) {
      // Docker restarted (or the session was stopped): say so, rather than end on a bare 137.
      channel.stderr.write(`mai: session ${session.id} stopped under this connection (its container engine restarted or it was stopped); connect again to start it${eol}`);
    }
    this.ctx.events.emit('channel.exit', { session: session.id, route: kind, code, seconds: Math.round(performance.now() - began) / 1000 });
    finish(channel, code);
  }
}
