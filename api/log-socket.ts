import type { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import type { SessionService } from '../gateway/domain/session-service.js';
import { parseTail } from '../gateway/domain/session-request.js';
import type { Actor } from '../gateway/domain/types.js';
import { toMaiError } from '../gateway/errors.js';
import { principalOf } from './principal.js';
import type { SocketContext } from './terminal-socket.js';
import { closeWithError, keepAlive, pumpToSocket } from './websocket.js';

/** `?follow=&tail=` of GET /sessions/:id/logs, over HTTP and WebSocket alike. */
export interface LogQuery {
  follow: boolean;
  tail?: string | undefined;
}

/** The session's output as the actor may read it, with the route's follow and tail rules. */
export async function sessionLog(sessions: SessionService, actor: Actor, id: string, query: LogQuery): Promise<Readable> {
  const session = await sessions.find(actor, id);
  return sessions.logs(session, { follow: query.follow, ...(query.tail !== undefined ? { tail: parseTail(query.tail) } : {}) });
}

/**
 * `GET /sessions/:id/logs` as a WebSocket: the same session output, `follow` and
 * `tail` as the HTTP stream, as binary frames (output is bytes; a frame may end
 * mid-character). Closed with 1000 when the log ends (not following, or the container
 * stopped); 4000 + HTTP status when refused. Frames from the client are ignored.
 */
export async function serveLogs(
  socket: WebSocket,
  request: FastifyRequest<{ Params: { id: string }; Querystring: LogQuery }>,
  ctx: SocketContext,
): Promise<void> {
  keepAlive(socket, ctx.keepaliveMs);
  let stream: Readable;
  try {
    stream = await sessionLog(ctx.sessions, principalOf(request).actor, request.params.id, request.query);
  } catch (err) {
    const error = toMaiError(err);
    ctx.events.emit('websocket.refused', { route: 'logs', session: request.params.id, user: request.principal?.actor.name ?? null, code: error.code, via: `http:${request.id}` });
    return closeWithError(socket, error);
  }
  // A reader that hangs up must not leave the engine's log stream open.
  socket.once('close', () => stream.destroy());
  await pumpToSocket(stream, socket);
  if (socket.readyState === socket.OPEN) socket.close(1000, 'end of log');
}
