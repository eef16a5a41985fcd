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
  const { identity, audit } = ctx;
  const ref = LOOPBACK_NAMES.has(info.destIP) ? identity.loginSession : info.destIP;
  const port = info.destPort;
  if (!identity.permissions.portForwarding || !ref || !Number.isInteger(port) || port < 1 || port > 65535) {
    audit.warn('forward.refused', { dest: info.destIP, port, reason: identity.permissions.portForwarding ? 'NO_SESSION' : 'NOT_PERMITTED' });
    return reject();
  }
  void (async () => {
    // Resolve before accepting, so a wrong session is an "open failed" at the client.
    const session = await ctx.sessions.find(identity.actor, ref).catch(() => null);
    if (!session) {
      audit.warn('forward.refused', { dest: info.destIP, port, reason: 'SESSION_NOT_FOUND' });
      return reject();
    }
    audit.info('forward.open', { session: session.id, port });
    const channel = accept();
    try {
      const proc = await ctx.sessions.exec(session, { cmd: ['mai-forward', String(port)], tty: false });
      await bridgeProcess(channel, proc, false, ctx.processes);
    } catch (err) {
      audit.warn('forward.failed', { session: session.id, port, error: err instanceof MaiError ? err.code : 'INTERNAL' });
      channel.destroy();
    }
  })();
}

