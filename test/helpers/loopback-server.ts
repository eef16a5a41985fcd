import type { Server, Socket } from 'node:net';

/**
 * A test peer's listener on 127.0.0.1 that can go away and come back on the same
 * port: `stop()` is an outage (every connection cut), `start()` the recovery.
 */
export class LoopbackListener {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  private boundPort = 0;

  constructor(private readonly create: () => Server) {}

  get port(): number {
    return this.boundPort;
  }

  /** Listens on `port`, or on a free one the first time. */
  async start(port = this.boundPort): Promise<void> {
    const server = this.create();
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.boundPort = (server.address() as { port: number }).port;
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
