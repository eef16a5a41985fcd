import type { Session, ServerChannel } from 'ssh2';
import type { ExecProcess } from '../backend/backend.js';
import type { SessionRecord } from '../domain/types.js';
import { MaiError, toMaiError } from '../errors.js';
import { bridgeProcess, finish } from './bridge.js';
import type { ConnectionContext } from './connection-context.js';
import { runManagement } from './management.js';
import { routeRequest } from './route.js';
import { clampTerminal, envAllowed, sanitizeTerm, SFTP_SERVER_PATH, SIGNAL_NAMES, SUBSYSTEM_SFTP } from './wire.js';

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
  private started = false;

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
      if (!envAllowed(ctx.envAllow, info.key) || info.val.length > 4096) return reject?.();
      this.env[info.key] = info.val;
      accept?.();
    });
    session.on('window-change', (accept, _reject, info) => {
      if (this.pty) {
        this.pty.cols = clampTerminal(info.cols, this.pty.cols);
        this.pty.rows = clampTerminal(info.rows, this.pty.rows);
        void this.proc?.resize(this.pty.cols, this.pty.rows).catch(() => {});
      }
      accept?.();
    });
    session.on('signal', (accept, reject, info) => {
      const name = info.name.replace(/^SIG/, '');
      if (!SIGNAL_NAMES.has(name) || !this.proc) return reject?.();
      void this.proc.signal(name).catch(() => {});
      accept?.();
    });
    session.on('shell', (accept) => this.serve(accept(), undefined));
    session.on('exec', (accept, _reject, info) => this.serve(accept(), info.command));
    session.on('subsystem', (accept, reject, info) => {
      if (info.name !== SUBSYSTEM_SFTP) return reject();
      this.serve(accept(), undefined, info.name);
    });
    session.on('auth-agent', (_accept, reject) => reject?.());
    session.on('x11', (_accept, reject) => reject?.());
  }

  /** Runs the channel's one request to completion; every failure becomes a line on stderr and an exit code. */
  private serve(channel: ServerChannel, command: string | undefined, subsystem?: string): void {
    if (this.started) return finish(channel, 1);
    this.started = true;
    void this.route(channel, command, subsystem).catch((err: unknown) => {
      const error = toMaiError(err);
      this.ctx.audit.warn('channel.failed', { code: error.code, message: error.message });
      const eol = this.pty ? '\r\n' : '\n';
      if (channel.writable) channel.stderr.write(`mai: ${error.message}${eol}`);
      finish(channel, error.code === 'INTERNAL' ? 255 : 1);
    });
  }

  private async route(channel: ServerChannel, command: string | undefined, subsystem?: string): Promise<void> {
    const { identity, audit } = this.ctx;
    if (subsystem) {
      const ref = identity.loginSession;
      if (!ref) throw new MaiError('INPUT_INVALID', `${subsystem} needs the session in the login name: ${identity.actor.name}+SESSION@${this.ctx.host}`);
      audit.info('channel.subsystem', { subsystem, session: ref });
      return this.run(channel, await this.ctx.sessions.find(identity.actor, ref), [SFTP_SERVER_PATH], false);
    }
    // A certificate's force-command replaces the request, as in OpenSSH.
    const route = routeRequest(identity.loginSession, identity.forceCommand ?? command);
    audit.info('channel.request', { route: route.kind, pty: Boolean(this.pty), ...('session' in route ? { session: route.session } : {}) });
    if (route.kind === 'shell' || route.kind === 'exec') {
      const session = await this.ctx.sessions.find(identity.actor, route.session);
      const cmd = route.kind === 'exec' ? ['bash', '-c', route.command] : this.ctx.sessions.attachCommand(session);
      if (route.kind === 'exec') audit.info('channel.command', { session: session.id, command: route.command.slice(0, 1024) });
      return this.run(channel, session, cmd, Boolean(this.pty));
    }
    const result = await runManagement(route, channel, this.ctx, Boolean(this.pty));
    if (typeof result === 'number') return finish(channel, result);
    return this.run(channel, result, this.ctx.sessions.attachCommand(result), true);
  }

  private async run(channel: ServerChannel, session: SessionRecord, cmd: string[], tty: boolean): Promise<void> {
    const eol = this.pty ? '\r\n' : '\n';
    const env = { ...this.env, ...(tty && this.pty ? { TERM: this.pty.term } : {}) };
    const proc = await this.ctx.sessions.exec(
      session,
      { cmd, tty, env, ...(tty && this.pty ? { cols: this.pty.cols, rows: this.pty.rows } : {}) },
      (line) => channel.stderr.write(`${line}${eol}`),
    );
    this.proc = proc;
    const code = await bridgeProcess(channel, proc, tty, this.ctx.processes);
    this.ctx.audit.info('channel.exit', { session: session.id, code });
  }
}
