import { sessionView, type SessionView } from '../gateway/domain/session-view.js';
import type { SessionRecord } from '../gateway/domain/types.js';
import type { CliContext } from './context.js';
import { openLocalCore, type LocalCore } from './local-core.js';
import type { SessionBackend } from './session-backend.js';
import { attachTerminal, terminalSize } from './terminal.js';

const progress = (line: string) => process.stderr.write(`${line}\n`);

/** Local mode: the domain core on the user's Docker engine, reconciled with it before every command. */
export async function openLocalBackend(ctx: CliContext): Promise<SessionBackend> {
  const core = await openLocalCore(ctx.config, ctx.paths.dataDir);
  try {
    await core.sessions.reconcile();
    await core.lifecycle.pass();
  } catch (err) {
    await core.close();
    throw err;
  }
  return new LocalBackend(core, ctx);
}

class LocalBackend implements SessionBackend {
  constructor(
    private readonly core: LocalCore,
    private readonly ctx: CliContext,
  ) {}

  async create(request: Parameters<SessionBackend['create']>[0], onProgress: (line: string) => void): Promise<SessionView> {
    return sessionView(await this.core.sessions.create(this.core.actor, request, onProgress), this.core.sessions.lifecycle);
  }

  async list(): Promise<SessionView[]> {
    return (await this.core.sessions.list(this.core.actor)).map((s) => sessionView(s, this.core.sessions.lifecycle));
  }

  async find(ref: string): Promise<SessionView> {
    return sessionView(await this.core.sessions.find(this.core.actor, ref), this.core.sessions.lifecycle);
  }

  async close(id: string): Promise<void> {
    await this.core.sessions.close(await this.core.sessions.find(this.core.actor, id));
  }

  closeAll(): Promise<string[]> {
    return this.core.sessions.closeAll(this.core.actor);
  }

  async connect(id: string, tty: boolean): Promise<number> {
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
    const session = await this.core.sessions.find(this.core.actor, id);
    const proc = await this.core.sessions.exec(session, { cmd: ['bash', '-lc', command], tty: false });
    return this.endedOr(session, await attachTerminal(proc, false));
  }

  async logs(id: string, options: { follow: boolean; tail?: number | 'all' }) {
    return this.core.sessions.logs(await this.core.sessions.find(this.core.actor, id), options);
  }

  recordings(ref: string) {
    return this.core.sessions.recordings(this.core.actor, ref);
  }

  recording(ref: string, n: number) {
    return this.core.sessions.recording(this.core.actor, ref, n);
  }

  dispose(): Promise<void> {
    return this.core.close();
  }
}
