import { randomBytes, randomInt } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FrameParser } from '../../gateway/backend/docker-stream.js';

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

test.run();
