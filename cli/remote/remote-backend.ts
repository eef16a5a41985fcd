import { existsSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { RecordingInfo } from '../../gateway/domain/recordings.js';
import type { CreateSessionRequest } from '../../gateway/domain/session-request.js';
import type { SessionView } from '../../gateway/domain/session-view.js';
import type { CliContext } from '../context.js';
import type { SessionBackend } from '../session-backend.js';
import { ApiClient } from './api-client.js';
import { remoteFor, type Remote } from './remotes.js';
import { ensureFreshCertificate, setUpSsh } from './ssh-setup.js';
import { execSsh, shellQuote } from './ssh-exec.js';
import { StoredLoginSource } from './stored-login.js';

/** Remote mode: management over REST, terminals over the system ssh with the config `mai auth` wrote. */
export async function openRemoteBackend(ctx: CliContext, name: string): Promise<SessionBackend> {
  const remote = remoteFor(ctx, name);
  return new RemoteBackend(remote, new ApiClient(remote, await StoredLoginSource.open(remote)));
}

const path = (id: string) => `/sessions/${encodeURIComponent(id)}`;

class RemoteBackend implements SessionBackend {
  constructor(
    private readonly remote: Remote,
    private readonly api: ApiClient,
  ) {}

  create(request: CreateSessionRequest): Promise<SessionView> {
    return this.api.json<SessionView>('POST', '/sessions', { body: request });
  }

  async list(): Promise<SessionView[]> {
    return (await this.api.json<{ sessions: SessionView[] }>('GET', '/sessions')).sessions;
  }

  find(ref: string): Promise<SessionView> {
    return this.api.json<SessionView>('GET', path(ref));
  }

  close(id: string): Promise<void> {
    return this.api.json<void>('DELETE', path(id));
  }

  async closeAll(): Promise<string[]> {
    const ids = (await this.list()).map((s) => s.id);
    for (const id of ids) await this.close(id);
    return ids;
  }

  async connect(id: string, tty: boolean): Promise<number> {
    const target = await this.prepareSsh(id);
    // -T without a terminal: piped stdin like local mode, and no "Pseudo-terminal will not be allocated" noise.
    return execSsh(this.remote, [tty ? '-t' : '-T', this.remote.alias, target]);
  }

  async run(id: string, command: string): Promise<number> {
    const target = await this.prepareSsh(id);
    return execSsh(this.remote, ['-T', this.remote.alias, target, 'bash', '-lc', shellQuote(command)]);
  }

  logs(id: string, options: { follow: boolean; tail?: number | 'all' }): Promise<Readable> {
    const tail = options.tail === undefined ? '' : `&tail=${options.tail}`;
    return this.api.stream('GET', `${path(id)}/logs?follow=${options.follow}${tail}`);
  }

  recordings(ref: string): Promise<{ sessionId: string; recordings: RecordingInfo[] }> {
    return this.api.json('GET', `${path(ref)}/recordings`);
  }

  recording(ref: string, n: number): Promise<Readable> {
    return this.api.stream('GET', `${path(ref)}/recordings/${n}`);
  }

  async dispose(): Promise<void> {}

  /** The session's id from /connect (which also checks it is ours), and a certificate good for the next minutes. */
  private async prepareSsh(ref: string): Promise<string> {
    const info = await this.api.json<{ sessionId: string }>('POST', `${path(ref)}/connect`);
    // A config removed by hand (or from an older mai) is written again from the API.
    if (!existsSync(this.remote.paths.sshConfig) || !existsSync(this.remote.paths.knownHosts)) await setUpSsh(this.remote, this.api);
    else await ensureFreshCertificate(this.remote, this.api);
    return info.sessionId;
  }
}
