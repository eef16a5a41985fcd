import { connect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './tmp.js';

/**
 * A unix socket that forwards every connection to the real Docker engine: the
 * transport seam for tests of what mai does when its event stream breaks. It
 * can cut the connections carrying `GET /events` and, while `holdEvents` is set,
 * refuse new ones, so a test decides when the stream is down and for how long.
 * Everything else goes through untouched.
 */
export class EngineProxy {
  private readonly dir = tempDir('mai-engine-proxy-');
  readonly socketPath = join(this.dir.path, 'docker.sock');
  private readonly server: Server;
  private readonly events = new Set<Socket>();
  private readonly connections = new Set<Socket>();
  /** Event streams opened through the proxy so far. */
  eventStreams = 0;
  holdEvents = false;

  constructor(target = '/var/run/docker.sock') {
    this.server = createServer((client) => {
      this.connections.add(client);
      client.on('close', () => this.connections.delete(client));
      const engine = connect(target);
      client.on('error', () => engine.destroy());
      engine.on('error', () => client.destroy());
      client.once('data', (first: Buffer) => {
        if (/^GET \S*\/events[?\s]/.test(first.toString('latin1', 0, 200))) {
          if (this.holdEvents) {
            client.destroy();
            engine.destroy();
            return;
          }
          this.eventStreams++;
          this.events.add(client);
          client.on('close', () => this.events.delete(client));
        }
        engine.write(first);
        client.pipe(engine);
        engine.pipe(client);
      });
      client.on('close', () => engine.destroy());
      engine.on('close', () => client.destroy());
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, resolve));
  }

  /** Cuts every event stream now open (as a dying proxy or a restarted engine would). */
  cutEvents(): number {
    const cut = this.events.size;
    for (const socket of this.events) socket.destroy();
    return cut;
  }

  async close(): Promise<void> {
    // Idle keep-alive connections too: the engine would hold them open for minutes.
    for (const socket of this.connections) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
    this.dir.remove();
  }
}
