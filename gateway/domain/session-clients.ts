import type { ExecProcess } from '../backend/backend.js';

/** A terminal attached through this process, to which a one-line notice can be written. */
export interface NoticeTarget {
  notify(line: string): void;
}

interface Client {
  readonly proc: ExecProcess;
  readonly terminal: NoticeTarget | undefined;
}

/**
 * The clients of sessions in THIS process: every process started through the domain core
 * (terminals, commands, sftp, forwards) until it exits. The lifecycle turns this into the
 * store's last-activity heartbeat, which is what processes sharing a store see of each
 * other's clients, and warns the terminals here before a session's lifetime ends.
 *
 * Lifecycle: one per domain core; holds nothing once the processes it tracks have exited.
 */
export class SessionClients {
  private readonly live = new Map<string, Set<Client>>();

  /** Counts `proc` as a client of the session until it exits (or its exit cannot be learnt). */
  track(sessionId: string, proc: ExecProcess, terminal?: NoticeTarget): void {
    const client: Client = { proc, terminal };
    const clients = this.live.get(sessionId) ?? new Set<Client>();
    clients.add(client);
    this.live.set(sessionId, clients);
    const gone = (): void => {
      clients.delete(client);
      if (clients.size === 0 && this.live.get(sessionId) === clients) this.live.delete(sessionId);
    };
    proc.wait().then(gone, gone);
  }

  /** Sessions with at least one live client here. */
  sessionIds(): string[] {
    return [...this.live.keys()];
  }

  has(sessionId: string): boolean {
    return this.live.has(sessionId);
  }

  /** The session's attached terminals here. */
  terminals(sessionId: string): NoticeTarget[] {
    return [...(this.live.get(sessionId) ?? [])].flatMap((c) => (c.terminal ? [c.terminal] : []));
  }
}
