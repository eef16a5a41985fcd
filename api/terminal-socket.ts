import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { ExecProcess } from '../gateway/backend/backend.js';
import type { Events } from '../gateway/domain/events.js';
import type { SessionService } from '../gateway/domain/session-service.js';
import { clampTerminal, resizeToLatest } from '../gateway/domain/terminal.js';
import type { SessionRecord } from '../gateway/domain/types.js';
import { toMaiError } from '../gateway/errors.js';
import { principalOf } from './principal.js';
import { closeWithError, keepAlive, parseControl, pumpToSocket } from './websocket.js';

/** What the WebSocket routes share: the core, the bus, and the sockets and processes alive now. */
export interface SocketContext {
  sessions: SessionService;
  events: Events;
  keepaliveMs: number;
  /** Processes attached for open sockets; killed when the server closes. */
  processes: Set<ExecProcess>;
}

/** `?cols=&rows=`: the terminal's size when the page opens it, so the first screen is drawn right. */
export interface TerminalQuery {
  cols?: number;
  rows?: number;
}

/**
 * `GET /sessions/:id/terminal`: the session's terminal attach (SessionService.attach,
 * the same tmux windows `ssh -t` gets) joined to a WebSocket until either ends.
 * Binary frames carry bytes both ways; text frames from the client are JSON control
 * (`{"type":"resize","cols":N,"rows":N}`). Backpressure both ways: output waits for a
 * slow browser (pumpToSocket), and input stops being read while the process does not
 * read it. When the socket goes, the attach and everything it started are killed,
 * as for an SSH channel; tmux's windows (and the tool) stay for the next attach.
 * Close codes: 1000 when the process exits (reason `exit N`, or `ended` after
 * `mai stop`), 4000 + HTTP status with the error code as reason when refused or failed.
 */
export async function serveTerminal(socket: WebSocket, request: FastifyRequest<{ Params: { id: string }; Querystring: TerminalQuery }>, ctx: SocketContext): Promise<void> {
  keepAlive(socket, ctx.keepaliveMs);
  // Nothing is read until the process is there to take it (the page may type or resize at once).
  socket.pause();
  const events = ctx.events.with({ via: `http:${request.id}`, remote: request.ip });
  let session: SessionRecord;
  let user: string | null = request.principal?.actor.name ?? null;
  try {
    const { actor } = principalOf(request);
    user = actor.name;
    session = await ctx.sessions.find(actor, request.params.id);
  } catch (err) {
    const error = toMaiError(err);
    events.emit('websocket.refused', { route: 'terminal', session: request.params.id, user, code: error.code });
    return closeWithError(socket, error);
  }

  const cols = clampTerminal(request.query.cols ?? 80, 80);
  const rows = clampTerminal(request.query.rows ?? 24, 24);
  let proc: ExecProcess;
  try {
    // `by`: who attaches (an admin may join anyone's session), for the join notice and the audit.
    const by = principalOf(request).actor;
    proc = await ctx.sessions.attach(session, { cols, rows, term: 'xterm-256color', by }, (line) => socket.send(Buffer.from(`${line}\r\n`)));
  } catch (err) {
    const error = toMaiError(err);
    events.emit('terminal.failed', { session: session.id, user, code: error.code, message: error.message });
    return closeWithError(socket, error);
  }
  events.emit('terminal.opened', { session: session.id, owner: session.owner, user, cols, rows });

  let exited = false;
  let closedBy: 'client' | 'process' = 'process';
  ctx.processes.add(proc);
  const onGone = () => {
    if (exited) return;
    closedBy = 'client';
    void proc.kill().catch((err: unknown) => events.emit('process.kill_failed', { session: session.id, message: toMaiError(err).message }));
  };
  socket.once('close', onGone);
  if (socket.readyState !== socket.OPEN) onGone();

  const resize = resizeToLatest(proc);
  let waitingForDrain = false;
  socket.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      // Frames already read keep coming while paused; one drain listener is enough.
      if (!proc.stdin.write(data) && !waitingForDrain) {
        waitingForDrain = true;
        socket.pause();
        proc.stdin.once('drain', () => {
          waitingForDrain = false;
          socket.resume();
        });
      }
      return;
    }
    try {
      const control = parseControl(data.toString('utf8'));
      resize(clampTerminal(control.cols, cols), clampTerminal(control.rows, rows));
    } catch (err) {
      closeWithError(socket, toMaiError(err));
    }
  });
  socket.resume();
  const output = pumpToSocket(proc.stdout, socket);

  let code: number;
  try {
    code = await proc.wait();
  } catch (err) {
    const error = toMaiError(err);
    events.emit('terminal.failed', { session: session.id, user, code: error.code, message: error.message });
    return closeWithError(socket, error);
  } finally {
    exited = true;
    ctx.processes.delete(proc);
  }
  // The last output goes out before the close frame (a closed socket ends the wait at once).
  if (socket.readyState === socket.OPEN) await Promise.race([output, new Promise((resolve) => socket.once('close', resolve))]);
  const ending = await ctx.sessions.endingDuring(session, code).catch(() => null);
  events.emit('terminal.closed', { session: session.id, user, code, ended: ending === 'ended', by: closedBy });
  // Shown by the page as "closed (REASON)"; a stopped session (Docker restarted) starts again on the next connect.
  const reason = ending === 'ended' ? 'ended' : ending === 'stopped' ? 'session stopped; connect again to start it' : `exit ${code}`;
  if (socket.readyState === socket.OPEN) socket.close(1000, reason);
}
