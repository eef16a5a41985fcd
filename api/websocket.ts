import type { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyWebsocket from '@fastify/websocket';
import type { WebSocket } from 'ws';
import { MaiError } from '../gateway/errors.js';

/**
 * mai's WebSocket subprotocol. Clients offer it (and the server answers with it),
 * optionally beside `mai.bearer.<base64url(token)>`: the one place a browser's
 * WebSocket can carry a credential other than a cookie without putting it in the URL.
 */
export const WS_PROTOCOL = 'mai.v1';
export const WS_BEARER_PREFIX = 'mai.bearer.';

/** RFC 6455 §7.4.2: 4000-4999 are the application's. We use 4000 + the HTTP status of the error's code. */
export function closeCodeFor(error: MaiError): number {
  return 4000 + error.httpStatus;
}

/** Terminal input is keystrokes and pastes: a megabyte per frame is plenty, and bounds what one frame can cost. */
const MAX_FRAME_BYTES = 1024 * 1024;

/** Registers the WebSocket plugin on the root instance, answering with our subprotocol when offered. */
export async function registerWebSockets(app: FastifyInstance): Promise<void> {
  await app.register(fastifyWebsocket, {
    options: {
      maxPayload: MAX_FRAME_BYTES,
      // Never echo the bearer protocol back: the answer names mai.v1 or nothing.
      handleProtocols: (protocols) => (protocols.has(WS_PROTOCOL) ? WS_PROTOCOL : false),
    },
  });
}

/** The bearer token a WebSocket client offered as a subprotocol, if any. */
export function websocketBearer(request: FastifyRequest): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  const offered = (typeof header === 'string' ? header : '').split(',').map((p) => p.trim());
  const encoded = offered.find((p) => p.startsWith(WS_BEARER_PREFIX))?.slice(WS_BEARER_PREFIX.length);
  if (encoded === undefined) return undefined;
  return /^[A-Za-z0-9_-]+$/.test(encoded) ? Buffer.from(encoded, 'base64url').toString('utf8') : '';
}

/** Closes the socket with the error's code and its stable code as the reason (at most 123 bytes by RFC 6455). */
export function closeWithError(socket: WebSocket, error: MaiError): void {
  if (socket.readyState !== socket.OPEN) return;
  // A paused socket would never read the peer's answering close frame, and close would wait out ws's 30 s timeout.
  socket.resume();
  socket.close(closeCodeFor(error), error.code);
}

/**
 * Pings every `intervalMs`; a peer that has not answered the previous ping by the
 * next one is gone (a laptop lid closed, a NAT entry dropped) and is terminated, so
 * what runs for it is killed rather than left waiting on a dead TCP connection.
 * Returns the function that stops it (also stopped when the socket closes).
 */
export function keepAlive(socket: WebSocket, intervalMs: number): () => void {
  let answered = true;
  socket.on('pong', () => (answered = true));
  const timer = setInterval(() => {
    if (!answered) return socket.terminate();
    answered = false;
    socket.ping();
  }, intervalMs);
  timer.unref();
  const stop = () => clearInterval(timer);
  socket.once('close', stop);
  return stop;
}

/** Bytes queued for a peer before we stop reading what feeds it. */
const OUTPUT_HIGH_WATER = 1024 * 1024;

/**
 * Sends `source` to the socket as binary frames, with backpressure: `source` is
 * paused while more than OUTPUT_HIGH_WATER bytes are queued for a slow peer and
 * resumed once half of that went out. So a flood inside a session waits for the
 * browser instead of piling up in the server's memory (the engine's stream stops,
 * then the process writing to the terminal blocks). Resolves when `source` ends.
 */
export function pumpToSocket(source: Readable, socket: WebSocket): Promise<void> {
  let queued = 0;
  return new Promise((resolve) => {
    source.on('data', (chunk: Buffer) => {
      if (socket.readyState !== socket.OPEN) return;
      queued += chunk.length;
      socket.send(chunk, { binary: true }, () => {
        queued -= chunk.length;
        if (queued <= OUTPUT_HIGH_WATER / 2 && source.isPaused()) source.resume();
      });
      if (queued > OUTPUT_HIGH_WATER) source.pause();
    });
    source.once('end', resolve);
    source.once('close', resolve);
    source.once('error', () => resolve());
  });
}

/** A JSON control frame from the client; anything else is INPUT_INVALID. */
export function parseControl(text: string): { type: 'resize'; cols: number; rows: number } {
  let value: unknown;
  try {
    value = text.length <= 1024 ? JSON.parse(text) : null;
  } catch {
    value = null;
  }
  const frame = value as { type?: unknown; cols?: unknown; rows?: unknown } | null;
  if (frame?.type === 'resize' && Number.isInteger(frame.cols) && Number.isInteger(frame.rows)) {
    return { type: 'resize', cols: frame.cols as number, rows: frame.rows as number };
  }
  throw new MaiError('INPUT_INVALID', 'control frames are JSON: {"type":"resize","cols":N,"rows":N}');
}
