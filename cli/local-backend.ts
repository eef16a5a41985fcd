import { sessionView, type SessionView } from '../gateway/domain/session-view.js';
import type { SessionRecord } from '../gateway/domain/types.js';
import type { CliContext } from './context.js';
import { openLocalCore, type LocalCore } from './local-core.js';
import type { SessionBackend } from './session-backend.js';
import { attachTerminal, terminalSize } from './terminal.js';

const progress = (line: string) => process.stderr.write(`${line}\n`);

/**
 * Local mode: the domain core on the user's Docker engine, reconciled with it at
 * every command. A create does not wait for the reconcile (it needs nothing from
 * it, and runs beside it as safely as two processes on one store do: a row is
 * written before its container, and reconcile lists containers before rows);
 * every other command reads what the reconcile left.
 */
export async function openLocalBackend(ctx: CliContext): Promise<SessionBackend> {
  const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
  // Sessions past their --ttl are closed in the same step (the lifecycle's one pass per command).
  return new LocalBackend(core, ctx, core.sessions.reconcile().then(() => core.lifecycle.pass()));
}

class LocalBackend implements SessionBackend {
  constructor(
    private readonly core: LocalCore,
    private readonly ctx: CliContext,
    private readonly reconciled: Promise<unknown>,
  ) {
    // Awaited by each command but create; a failure surfaces there, or in the create's own engine calls.
    reconciled.catch(() => {});
  }

  async create(request: Parameters<SessionBackend['create']>[0], onProgress: (line: string) => void): Promise<SessionView> {
    return sessionView(await this.core.sessions.create(this.core.actor, request, onProgress), this.core.sessions.lifecycle);
  }

  async list(): Promise<SessionView[]> {
    await this.reconciled;
    return (await this.core.sessions.list(this.core.actor)).map((s) => sessionView(s, this.core.sessions.lifecycle));
  }

  async find(ref: string): Promise<SessionView> {
    await this.reconciled;
    return sessionView(await this.core.sessions.find(this.core.actor, ref), this.core.sessions.lifecycle);
  }

  async close(id: string): Promise<void> {
    await this.reconciled;
    await this.core.sessions.close(await this.core.sessions.find(this.core.actor, id));
  }

  async closeAll(): Promise<string[]> {
    await this.reconciled;
    return this.core.sessions.closeAll(this.core.actor);
  }

  async connect(id: string, tty: boolean): Promise<number> {
    await this.reconciled;
    const { sessions, actor } = this.core;
    const session = await sessions.find(actor, id);
    const proc = tty
      ? await sessions.attach(session, { ...terminalSize(), term: this.ctx.env.TERM ?? 'xterm-256color' }, progress)
      : await sessions.exec(session, { cmd: ['bash', '-l'], tty: false }, progress);
    return this.endedOr(session, await attachTerminal(proc, tty));
  }

  /** `mai stop` inside the session ended it (and killed our process): say so; that is no failure. */
  private async endedOr(session: SessionRecord, code: number): Promise<number> {
    if (!(await this.core.sessions.endedDuring(session, code))) return code;
    progress(`mai: session ${session.id} ended`);
    return 0;
  }

  async run(id: string, command: string): Promise<number> {
    await this.reconciled;
    const session = await this.core.sessions.find(this.core.actor, id);
    const proc = await this.core.sessions.exec(session, { cmd: ['bash', '-lc', command], tty: false });
    return this.endedOr(session, await attachTerminal(proc, false));
  }

  async logs(id: string, options: { follow: boolean; tail?: number | 'all' }) {
    await this.reconciled;
    return this.core.sessions.logs(await this.core.sessions.find(this.core.actor, id), options);
  }

  async recordings(ref: string) {
    await this.reconciled;
    return this.core.sessions.recordings(this.core.actor, ref);
  }

  async recording(ref: string, n: number) {
    await this.reconciled;
    return this.core.sessions.recording(this.core.actor, ref, n);
  }

  async dispose(): Promise<void> {
    await this.reconciled.catch(() => {});
    await this.core.close();
  }
}
