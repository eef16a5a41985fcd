import { createServer, type Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { decodeMulti, decodeMultiStream, encode, ExtensionCodec } from '@msgpack/msgpack';
import { LoopbackListener } from './loopback-server.js';

/** One event as a Fluentd `in_forward` would see it. */
export interface ReceivedEvent {
  tag: string;
  /** Seconds since the epoch (fractional for EventTime). */
  time: number;
  record: Record<string, unknown>;
}

/**
 * EventTime, the forward protocol's ext type 0: seconds and nanoseconds, each a
 * 32-bit big-endian unsigned integer.
 */
const EVENT_TIME = 0;
const codec = new ExtensionCodec();
codec.register({
  type: EVENT_TIME,
  encode: () => null,
  decode: (data: Uint8Array) => {
    const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
    return view.getUint32(0) + view.getUint32(4) / 1e9;
  },
});

/**
 * A Fluent forward-protocol receiver on loopback (Forward Protocol Specification v1),
 * standing in for Fluentd's `in_forward`: the peer of the server's forwarder and of
 * Docker's `fluentd` log driver (which connects from the engine, on the host).
 * Handles every event mode a client may send:
 *   Message:          [tag, time, record, option?]
 *   Forward:          [tag, [[time, record], ...], option?]
 *   PackedForward:    [tag, bin(concatenated msgpack [time, record]), option?]
 *   CompressedPackedForward: the same, gzipped, with option.compressed = "gzip"
 * and answers `{ack: CHUNK}` when the option carries a chunk id.
 */
export class FluentReceiver {
  readonly events: ReceivedEvent[] = [];
  acks = 0;
  private readonly listener = new LoopbackListener(() => createServer((socket) => this.serve(socket)));

  get port(): number {
    return this.listener.port;
  }

  get url(): string {
    return `tcp://127.0.0.1:${this.listener.port}`;
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

  tagged(tag: string): ReceivedEvent[] {
    return this.events.filter((e) => e.tag === tag);
  }

  private serve(socket: Socket): void {
    socket.on('error', () => {});
    void (async () => {
      try {
        for await (const message of decodeMultiStream(socket, { extensionCodec: codec })) this.receive(socket, message);
      } catch {
        socket.destroy(); // malformed input or a cut connection: like Fluentd, drop the connection
      }
    })();
  }

  private receive(socket: Socket, message: unknown): void {
    if (!Array.isArray(message) || typeof message[0] !== 'string') throw new Error('not a forward message');
    const [tag, second] = message as [string, unknown];
    let option: Record<string, unknown> | undefined;
    if (typeof second === 'number') {
      this.events.push({ tag, time: second, record: text(message[2]) });
      option = message[3] as Record<string, unknown> | undefined;
    } else if (Array.isArray(second)) {
      for (const [time, record] of second as Array<[number, unknown]>) this.events.push({ tag, time, record: text(record) });
      option = message[2] as Record<string, unknown> | undefined;
    } else {
      option = message[2] as Record<string, unknown> | undefined;
      let packed = typeof second === 'string' ? Buffer.from(second, 'binary') : (second as Uint8Array);
      if (option?.compressed === 'gzip') packed = gunzipSync(packed);
      for (const entry of decodeMulti(packed, { extensionCodec: codec })) {
        const [time, record] = entry as [number, unknown];
        this.events.push({ tag, time, record: text(record) });
      }
    }
    if (option && typeof option.chunk === 'string') {
      socket.write(encode({ ack: option.chunk }));
      this.acks++;
    }
  }
}

/** Records with byte-string values (older clients send `log` as bin) as plain text. */
function text(record: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(record as Record<string, unknown>)) {
    out[key] = value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : value;
  }
  return out;
}
