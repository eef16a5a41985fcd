import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import type { ExecProcess } from '../../gateway/backend/backend.js';
import type { Events } from '../../gateway/domain/events.js';
import type { MetricsRegistry } from '../../gateway/metrics/registry.js';
import type { SessionService } from '../../gateway/domain/session-service.js';
import { sessionView } from '../../gateway/domain/session-view.js';
import { MaiError, toMaiError } from '../../gateway/errors.js';
import { serveLogs, sessionLog } from '../log-socket.js';
import { principalOf, requireAuth } from '../principal.js';
import { serveTerminal, type SocketContext } from '../terminal-socket.js';
import type { WebOrigin } from '../web-origin.js';
import {
  connectSchema,
  createSessionSchema,
  gatewaySchema,
  listQuerySchema,
  logsQuerySchema,
  recordingListSchema,
  recordingParamsSchema,
  sessionListSchema,
  sessionParamsSchema,
  sessionSchema,
  terminalQuerySchema,
} from '../schemas.js';

/** How clients reach the SSH gateway, for `/connect`. */
export interface SshEndpoint {
  /** The name clients use; when unset, the host the client used to reach the API. */
  publicHost?: string;
  port: number;
  /** The gateway's host key line (`ssh-ed25519 AAAA...`). */
  hostKeyLine: string;
}

export interface SessionRoutesOptions {
  sessions: SessionService;
  auth: AuthService;
  ssh: SshEndpoint;
  /** WebSockets from pages of other origins are refused at the handshake. */
  origin: WebOrigin;
  events: Events;
  /** Where the open browser terminals are counted. */
  metrics: MetricsRegistry;
  /** WebSocket ping interval. */
  keepaliveMs: number;
}

type Params = { Params: z.infer<typeof sessionParamsSchema> };

/**
 * /sessions: thin over SessionService, which owns every rule (ownership, naming,
 * limits). Another user's session is SESSION_NOT_FOUND there, hence 404 here.
 */
export const sessionRoutes: FastifyPluginAsync<SessionRoutesOptions> = async (app, { sessions, auth, ssh, origin, events, metrics, keepaliveMs }) => {
  requireAuth(app, auth);
  // Cross-site WebSocket hijacking: another page's socket would carry the user's cookie.
  app.addHook('onRequest', async (request) => {
    if (!request.ws) return;
    try {
      origin.check(request);
    } catch (err) {
      const { code } = toMaiError(err);
      events.emit('websocket.refused', { route: request.routeOptions.url, user: request.principal?.actor.name ?? null, code, origin: request.headers.origin, via: `http:${request.id}` });
      throw err;
    }
  });
  const sockets: SocketContext = { sessions, events, keepaliveMs, processes: new Set<ExecProcess>() };
  metrics.gauge('mai_websocket_terminals_open', 'Terminals attached over WebSocket now.', () => sockets.processes.size);
  // Followed log streams never end by themselves; shutdown ends them, or close() would wait on them.
  const followers = new Set<{ end(): void }>();
  app.addHook('preClose', async () => {
    for (const follower of followers) follower.end();
    // Terminals: what was started for them goes with the server, as for SSH channels.
    await Promise.all([...sockets.processes].map((proc) => proc.kill().catch(() => {})));
  });

  app.get<{ Querystring: z.infer<typeof listQuerySchema> }>(
    '/sessions',
    { schema: { summary: "The caller's sessions (admins: ?all=true for everyone's)", auth: true, querystring: listQuerySchema, response: { 200: sessionListSchema } } },
    async (request) => {
      const list = await sessions.list(principalOf(request).actor, { all: request.query.all });
      return { sessions: list.map((s) => sessionView(s, sessions.lifecycle)) };
    },
  );

  app.post<{ Body: z.infer<typeof createSessionSchema> }>(
    '/sessions',
    { schema: { summary: 'Create and start a session', auth: true, body: createSessionSchema, response: { 201: sessionSchema } } },
    async (request, reply) => {
      const created = await sessions.create(principalOf(request).actor, request.body);
      return reply.code(201).send(sessionView(created, sessions.lifecycle));
    },
  );

  app.get<Params>(
    '/sessions/:id',
    { schema: { summary: 'One session, by id or name', auth: true, params: sessionParamsSchema, response: { 200: sessionSchema } } },
    async (request) => sessionView(await sessions.find(principalOf(request).actor, request.params.id), sessions.lifecycle),
  );

  app.delete<Params>(
    '/sessions/:id',
    { schema: { summary: 'Close a session: its container and everything made for it', auth: true, params: sessionParamsSchema } },
    async (request, reply) => {
      await sessions.close(await sessions.find(principalOf(request).actor, request.params.id));
      return reply.code(204).send();
    },
  );

  app.post<Params>(
    '/sessions/:id/connect',
    { schema: { summary: 'How to reach the session over ssh', auth: true, params: sessionParamsSchema, response: { 200: connectSchema } } },
    async (request) => {
      const { actor } = principalOf(request);
      const session = await sessions.find(actor, request.params.id);
      const gateway = gatewayFor(request.hostname, actor.name);
      return { sessionId: session.id, ...gateway, command: ['ssh', '-t', '-p', String(ssh.port), `${actor.name}@${gateway.host}`, session.id] };
    },
  );

  // What the CLI pins in known_hosts and writes into its ssh config right after login.
  app.get(
    '/gateway',
    { schema: { summary: 'How to reach the SSH gateway: host, port, login and its pinned host key', auth: true, response: { 200: gatewaySchema } } },
    async (request) => gatewayFor(request.hostname, principalOf(request).actor.name),
  );

  function gatewayFor(requestHost: string, login: string) {
    const host = ssh.publicHost ?? requestHost.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    // known_hosts spells a non-standard port as [host]:port.
    const knownHost = ssh.port === 22 ? host : `[${host}]:${ssh.port}`;
    return { host, port: ssh.port, login, hostKey: ssh.hostKeyLine, knownHostsLine: `${knownHost} ${ssh.hostKeyLine}` };
  }

  app.get<Params>(
    '/sessions/:id/recordings',
    {
      schema: {
        summary: "Recordings of the session's terminals (owner and admins; a closed session's by id, until their retention ends)",
        auth: true,
        params: sessionParamsSchema,
        response: { 200: recordingListSchema },
      },
    },
    async (request) => sessions.recordings(principalOf(request).actor, request.params.id),
  );

  app.get<{ Params: z.infer<typeof recordingParamsSchema> }>(
    '/sessions/:id/recordings/:n',
    { schema: { summary: 'One recording, asciicast v2 (plays in asciinema play)', auth: true, params: recordingParamsSchema } },
    async (request, reply) => {
      const stream = await sessions.recording(principalOf(request).actor, request.params.id, Number(request.params.n));
      return reply.type('application/x-asciicast').header('cache-control', 'no-store').send(stream);
    },
  );

  app.route<Params & { Querystring: z.infer<typeof terminalQuerySchema> }>({
    method: 'GET',
    url: '/sessions/:id/terminal',
    schema: {
      summary: 'A terminal in the session over WebSocket: the same attach (tmux windows) as ssh -t',
      auth: true,
      params: sessionParamsSchema,
      querystring: terminalQuerySchema,
      websocket:
        'Binary frames carry terminal bytes both ways; the client sends text frames of JSON control: {"type":"resize","cols":N,"rows":N}. ' +
        'Closed with 1000 when the shell exits (reason "exit N", or "ended" after mai stop), 4000 + HTTP status with the error code as reason when refused.',
    },
    wsHandler: (socket, request) => serveTerminal(socket, request, sockets),
    // Without the upgrade there is no terminal: a refusal with its code (it was an empty 404; found by the REST fuzzer).
    handler: async () => {
      throw new MaiError('INPUT_INVALID', 'the terminal is a WebSocket: connect with Upgrade: websocket and the mai.v1 subprotocol');
    },
  });

  app.route<Params & { Querystring: z.infer<typeof logsQuerySchema> }>({
    method: 'GET',
    url: '/sessions/:id/logs',
    schema: {
      summary: 'The session container output as text; ?follow=true streams (HTTP, or WebSocket)',
      auth: true,
      params: sessionParamsSchema,
      querystring: logsQuerySchema,
      websocket: 'The same output as binary frames, same follow and tail rules; closed with 1000 at the end of the log, 4000 + HTTP status when refused.',
    },
    wsHandler: (socket, request) => serveLogs(socket, request, sockets),
    handler: async (request, reply) => {
      const { follow } = request.query;
      const stream = await sessionLog(sessions, principalOf(request).actor, request.params.id, request.query);
      // A follower that hangs up must not leave the engine's log stream open.
      reply.raw.on('close', () => stream.destroy());
      if (!follow) return reply.type('text/plain; charset=utf-8').header('cache-control', 'no-store').send(stream);
      // Following a quiet session: node would hold the headers back until the first log
      // line, leaving the client unsure the request worked. Taking the raw response lets
      // them go out at once (at the price of fastify's later hooks for this request).
      reply.hijack();
      reply.raw.writeHead(200, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      reply.raw.flushHeaders();
      stream.on('error', () => reply.raw.end());
      followers.add(reply.raw);
      reply.raw.on('close', () => followers.delete(reply.raw));
      stream.pipe(reply.raw);
      return reply;
    },
  });
};
