import type { Socket } from 'node:net';

export interface StartupLimitOptions {
  /** Unauthenticated connections at once, from everyone. */
  total: number;
  /** Unauthenticated connections at once from one address. */
  perAddress: number;
  /** Time a connection has to authenticate. */
  graceMs: number;
}

export type StartupRefusal = 'TOO_MANY_UNAUTHENTICATED' | 'AUTH_GRACE_EXPIRED';

/**
 * Connections that have not authenticated yet, bounded as OpenSSH bounds them
 * (MaxStartups, LoginGraceTime): a connection over the limits is closed before a
 * byte of SSH is spoken, and one that has not authenticated within the grace time
 * is closed. Authenticated connections do not count. One instance per gateway.
 */
export class StartupLimits {
  private total = 0;
  private readonly perAddress = new Map<string, number>();
  /** `ip:port` of each connection still authenticating -> what ends its startup. */
  private readonly pending = new Map<string, () => void>();

  constructor(
    private readonly options: StartupLimitOptions,
    private readonly onRefused: (ip: string, reason: StartupRefusal) => void,
  ) {}

  /** Admits a new socket (true), or closes it at once (false). */
  admit(socket: Socket): boolean {
    const ip = socket.remoteAddress ?? '';
    const fromThere = this.perAddress.get(ip) ?? 0;
    if (this.total >= this.options.total || fromThere >= this.options.perAddress) {
      this.onRefused(ip, 'TOO_MANY_UNAUTHENTICATED');
      socket.destroy();
      return false;
    }
    this.total++;
    this.perAddress.set(ip, fromThere + 1);
    const key = `${ip}:${socket.remotePort}`;
    const grace = setTimeout(() => {
      this.onRefused(ip, 'AUTH_GRACE_EXPIRED');
      socket.destroy();
    }, this.options.graceMs);
    let settled = false;
    const settle = (): void => {
      if (settled) return;
      settled = true;
      clearTimeout(grace);
      this.pending.delete(key);
      this.total--;
      const left = (this.perAddress.get(ip) ?? 1) - 1;
      if (left > 0) this.perAddress.set(ip, left);
      else this.perAddress.delete(ip);
    };
    this.pending.set(key, settle);
    socket.once('close', settle);
    return true;
  }

  /** The connection from `ip:port` has authenticated: it stops counting, its grace timer stops. */
  authenticated(ip: string, port: number): void {
    this.pending.get(`${ip}:${port}`)?.();
  }
}
