import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { LoopbackListener } from './loopback-server.js';

/** One item of an ingestion batch (`trace-create`, `event-create`, ...). */
export interface IngestionItem {
  id: string;
  type: string;
  timestamp: string;
  body: Record<string, unknown>;
}

/**
 * Langfuse's ingestion API on loopback, as the SDK meets it: `POST
 * /api/public/ingestion` with `{batch: [...]}` and the project keys as basic auth
 * (public:secret), answered with 207 and one success per item, as Langfuse does.
 * Wrong credentials get 401, like the real thing.
 */
export class LangfuseReceiver {
  readonly items: IngestionItem[] = [];
  /** Every Authorization header received, to check what credentials travel. */
  readonly authorizations: string[] = [];
  unauthorized = 0;
  private readonly listener = new LoopbackListener(() => createServer((req, res) => void this.handle(req, res)));

  constructor(private readonly publicKey: string, private readonly secretKey: string) {}

  get url(): string {
    return `http://127.0.0.1:${this.listener.port}`;
  }

  /** Listens on 127.0.0.1 (on the same port as before, or a free one the first time). */
  async start(port?: number): Promise<this> {
    await this.listener.start(port);
    return this;
  }

  /** An outage: stops listening and cuts every connection. */
  stop(): Promise<void> {
    return this.listener.stop();
  }

  ofType(type: string): IngestionItem[] {
    return this.items.filter((item) => item.type === type);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const reply = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/api/public/ingestion') return reply(404, { message: 'not found' });
    const authorization = req.headers.authorization ?? '';
    this.authorizations.push(authorization);
    const expected = `Basic ${Buffer.from(`${this.publicKey}:${this.secretKey}`).toString('base64')}`;
    if (authorization !== expected) {
      this.unauthorized++;
      return reply(401, { message: 'Invalid credentials' });
    }
    const { batch } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { batch: IngestionItem[] };
    this.items.push(...batch);
    reply(207, { successes: batch.map((item) => ({ id: item.id, status: 201 })), errors: [] });
  }
}
