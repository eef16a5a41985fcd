import { Socket } from 'node:net';

/**
 * Holds the server's first KEXINIT until the client's KEXINIT has begun to
 * arrive (at most `maxHoldMs`), so that ours goes out as the reply to theirs.
 *
 * Why: ssh2 sends its KEXINIT as soon as it reads the client's version line.
 * When that reaches OpenSSH before the client has sent its own KEXINIT, the
 * client sends KEXINIT and then at once the small KEX_ECDH_INIT; Nagle holds the
 * second until the first is ACKed, and our kernel delays that ACK (~40 ms,
 * it expects a reply but we have nothing to send). tcpdump showed this stall on
 * 1 connection in 8 to 1 in 2. Sent as a reply, our KEXINIT carries the ACK.
 * Node cannot set TCP_QUICKACK, and ssh2 has no option for this; the seam is
 * the socket's writes. RFC 4253 lets each side send KEXINIT without waiting;
 * the cap keeps a client that waits for ours from stalling long.
 */
export function holdServerKexinit(socket: Socket, maxHoldMs: number): void {
  let identSeen = false;
  let held: Array<Parameters<Socket['write']>> | null = null;
  let timer: NodeJS.Timeout | undefined;

  const release = (): void => {
    clearTimeout(timer);
    socket.off('data', watch);
    // Drop the instance override: the prototype's write takes over again.
    delete (socket as Partial<Pick<Socket, 'write'>>).write;
    // A connection ssh2 ended meanwhile (server shutting down) gets nothing more.
    if (socket.writable) for (const args of held ?? []) socket.write(...args);
    held = null;
  };

  // Runs before ssh2's own 'data' listener (added after this one), so the
  // state is current when ssh2 parses the same bytes and writes.
  const watch = (chunk: Buffer): void => {
    if (!identSeen) {
      const identEnd = chunk.indexOf(0x0a); // clients send their version line first
      if (identEnd === -1) return;
      identSeen = true;
      chunk = chunk.subarray(identEnd + 1);
    }
    if (chunk.length > 0) return release(); // the client's first packet has begun
    held ??= [];
    timer ??= setTimeout(release, maxHoldMs);
  };

  socket.on('data', watch);
  socket.once('close', () => clearTimeout(timer));
  socket.write = ((...args: Parameters<Socket['write']>) => {
    if (held === null) return Socket.prototype.write.apply(socket, args);
    held.push(args);
    return true;
  }) as Socket['write'];
}
