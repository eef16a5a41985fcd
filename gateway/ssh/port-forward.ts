import type { ServerChannel, TcpipRequestInfo } from 'ssh2';
import { MaiError } from '../errors.js';
import { bridgeProcess } from './bridge.js';
import type { ConnectionContext } from './connection-context.js';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', 'ip6-localhost']);

/**
 * direct-tcpip (RFC 4254 §7.2, `ssh -L`): the connection is carried through the
 * container itself (a relay process inside it dials 127.0.0.1:PORT), so nothing
 * depends on reaching the container's IP. The target session is the login's
 * `+SESSION` when the destination is localhost, else the destination host names
 * the session (`ssh -L 8080:SESSION:8080 alice@gw`).
 */
export function handleDirectTcpip(
  ctx: ConnectionContext,
  info: TcpipRequestInfo,
  accept: () => ServerChannel,
  reject: () => void,
): void {
  const { identity, events } = ctx;
  const ref = LOOPBACK_NAMES.has(info.destIP) ? identity.loginSession : info.destIP;
  const port = info.destPort;
  if (!identity.permissions.portForwarding || !ref || !Number.isInteger(port) || port < 1 || port > 65535) {
    events.emit('forward.refused', { kind: 'local', dest: info.destIP, port, reason: identity.permissions.portForwarding ? 'NO_SESSION' : 'NOT_PERMITTED' });
    return reject();
  }
  void (async () => {
    // Resolve before accepting, so a wrong session is an "open failed" at the client.
    let session;
    try {
      session = await ctx.sessions.find(identity.actor, ref);
    } catch (err) {
      // Only a wrong name is the user's refusal; an engine or store outage is a failure, said as one.
      const code = err instanceof MaiError ? err.code : 'INTERNAL';
      events.emit(code === 'SESSION_NOT_FOUND' ? 'forward.refused' : 'forward.failed', { kind: 'local', dest: info.destIP, port, reason: code });
      return reject();
    }
    events.emit('forward.open', { kind: 'local', session: session.id, port });
    events.emit('channel.opened', { kind: 'direct-tcpip', session: session.id, port });
    const channel = accept();
    try {
      const proc = await ctx.sessions.exec(session, { cmd: ['mai-forward', String(port)], tty: false });
      await bridgeProcess(channel, proc, false, ctx.processes, ctx.traffic);
      channel.end();
    } catch (err) {
      events.emit('forward.failed', { kind: 'local', session: session.id, port, reason: err instanceof MaiError ? err.code : 'INTERNAL' });
      channel.destroy();
    } finally {
      events.emit('forward.closed', { kind: 'local', session: session.id, port });
    }
  })();
}

