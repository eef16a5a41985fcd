import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PassThrough, type Readable } from 'node:stream';
import { demultiplex, FrameParser } from '../../gateway/backend/docker-stream.js';

/** Docker's multiplexed framing: [type, 0, 0, 0, size (uint32 BE)] + payload. */
function frame(type: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header[0] = type;
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

function sample(): { wire: Buffer; frames: Array<[number, Buffer]> } {
  const frames: Array<[number, Buffer]> = [];
  for (let i = 0; i < 40; i++) {
    const size = [0, 1, 7, 8, 9, 4096, 32768][randomInt(7)]!;
    frames.push([randomInt(2) + 1, randomBytes(size)]);
  }
  return { wire: Buffer.concat(frames.map(([t, p]) => frame(t, p))), frames };
}

function parseInChunks(wire: Buffer, sizes: () => number): Array<[number, Buffer]> {
  const parser = new FrameParser();
  const out: Array<[number, Buffer]> = [];
  for (let at = 0; at < wire.length; ) {
    const next = Math.min(wire.length, at + sizes());
    // A fresh buffer per chunk, as a socket delivers them.
    parser.push(Buffer.from(wire.subarray(at, next)), (type, payload) => out.push([type, Buffer.from(payload)]));
    at = next;
  }
  return out;
}

test('frames come out whole and in order, whatever the chunk boundaries', () => {
  const { wire, frames } = sample();
  for (const sizes of [() => 1, () => 5, () => 8, () => 65536, () => randomInt(1, 70000), () => wire.length]) {
    const parsed = parseInChunks(wire, sizes);
    assert.is(parsed.length, frames.length);
    parsed.forEach(([type, payload], i) => {
      assert.is(type, frames[i]![0]);
      assert.ok(payload.equals(frames[i]![1]), `frame ${i}`);
    });
  }
});

test('a frame is not emitted before its last byte arrives', () => {
  const parser = new FrameParser();
  const bytes = frame(1, Buffer.from('hello'));
  const seen: string[] = [];
  parser.push(bytes.subarray(0, bytes.length - 1), (_t, p) => seen.push(p.toString()));
  assert.equal(seen, []);
  parser.push(bytes.subarray(bytes.length - 1), (_t, p) => seen.push(p.toString()));
  assert.equal(seen, ['hello']);
});

function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return new Promise((resolve) => stream.on('end', () => resolve(Buffer.concat(chunks))));
}

test('demultiplexed: stdout and stderr apart, or merged in order; both end with the source', async () => {
  const { wire, frames } = sample();
  const joined = (type?: number) => Buffer.concat(frames.filter(([t]) => type === undefined || t === type).map(([, p]) => p));

  const source = new PassThrough();
  const apart = demultiplex(source);
  const [out, err] = [collect(apart.stdout), collect(apart.stderr)];
  source.end(wire);
  assert.ok((await out).equals(joined(1)));
  assert.ok((await err).equals(joined(2)));

  const again = new PassThrough();
  const merged = demultiplex(again, { merged: true });
  assert.is(merged.stdout, merged.stderr);
  const all = collect(merged.stdout);
  again.end(wire);
  assert.ok((await all).equals(joined()));

  // A TTY's stream is not framed: its bytes come out as they are, and stderr is empty.
  const tty = new PassThrough();
  const raw = demultiplex(tty, { raw: true });
  const [rawOut, rawErr] = [collect(raw.stdout), collect(raw.stderr)];
  tty.end(wire);
  assert.ok((await rawOut).equals(wire));
  assert.is((await rawErr).length, 0);
});

test('a reader that does not read pauses the source; reading resumes it', async () => {
  const source = new PassThrough();
  let ended = false;
  const { stdout } = demultiplex(source, { highWaterMark: 1024 }, () => (ended = true));
  source.write(frame(1, Buffer.alloc(4096, 1)));
  await new Promise((r) => setImmediate(r));
  assert.ok(source.isPaused(), 'paused while stdout holds more than its buffer');
  const all = collect(stdout);
  await new Promise((r) => setImmediate(r));
  assert.not.ok(source.isPaused(), 'resumed once stdout is read');
  source.end(frame(1, Buffer.from('tail')));
  assert.is((await all).length, 4096 + 4);
  assert.ok(ended);
});

test.run();
