import type { Readable } from 'node:stream';
import type { RecordingInfo } from '../gateway/domain/recordings.js';
import type { CreateSessionRequest } from '../gateway/domain/session-request.js';
import type { SessionView } from '../gateway/domain/session-view.js';
import type { CliContext } from './context.js';

/**
 * Where `mai session ...` finds sessions: the local Docker engine through the domain
 * core, or a server through REST and ssh. The commands, their flags and their output
 * are written once, against this; each backend only says how.
 *
 * Lifecycle: opened per command by `openSessionBackend`; `dispose()` once at the end.
 */
export interface SessionBackend {
  /** Creates and starts a session; `progress` gets human-readable lines (image builds...). */
  create(request: CreateSessionRequest, progress: (line: string) => void): Promise<SessionView>;
  list(): Promise<SessionView[]>;
  /** By id or name; SESSION_NOT_FOUND otherwise. */
  find(ref: string): Promise<SessionView>;
  close(id: string): Promise<void>;
  /** Closes every session of the user; returns their ids. */
  closeAll(): Promise<string[]>;
  /** A terminal (tty) or piped stdin/stdout in the session; resolves with the exit code. */
  connect(id: string, tty: boolean): Promise<number>;
  /** Runs a shell command line in the session, piped; resolves with its exit code. */
  run(id: string, command: string): Promise<number>;
  logs(id: string, options: { follow: boolean; tail?: number | 'all' }): Promise<Readable>;
  /** The recordings of the session's terminals (also of a closed session, by id, until their retention ends). */
  recordings(ref: string): Promise<{ sessionId: string; recordings: RecordingInfo[] }>;
  /** Recording `n`, asciicast v2. */
  recording(ref: string, n: number): Promise<Readable>;
  dispose(): Promise<void>;
}

/** `-r NAME` (or MAI_REMOTE, or the default remote) picks the server; otherwise local Docker. Each side loads only its own modules. */
export async function openSessionBackend(ctx: CliContext): Promise<SessionBackend> {
  if (ctx.remote) return (await import('./remote/remote-backend.js')).openRemoteBackend(ctx, ctx.remote);
  return (await import('./local-backend.js')).openLocalBackend(ctx);
}
