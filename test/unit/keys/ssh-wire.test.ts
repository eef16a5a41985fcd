/** The SSH wire reader/writer (RFC 4251 §5) and its strictness. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keyErrorOf } from '../../helpers/errors.js';
import { SshReader, SshWriter } from '../../../keys/ssh-wire.js';

function assertWireError(fn: () => unknown, pattern: RegExp): void {
  const err = keyErrorOf(fn);
  assert.is(err.kind, 'MALFORMED');
  assert.match(err.message, pattern);
}

test('round-trips every type', () => {
  const buf = new SshWriter()
    .writeByte(0xfe)
    .writeBoolean(true)
    .writeUint32(0xdeadbeef)
    .writeUint64((1n << 64n) - 1n)
    .writeString('héllo')
    .writeString(Buffer.from([0, 1, 2]))
    .writeMpintUnsigned(Buffer.from([0x00, 0x00, 0x80, 0x01]))
    .writeMpintUnsigned(Buffer.alloc(0))
    .writeNameList(['a', 'b-c@x'])
    .writeNameList([])
    .toBuffer();
  const r = new SshReader(buf);
  assert.is(r.readByte(), 0xfe);
  assert.is(r.readBoolean(), true);
  assert.is(r.readUint32(), 0xdeadbeef);
  assert.is(r.readUint64(), (1n << 64n) - 1n);
  assert.is(r.readUtf8(), 'héllo');
  assert.equal([...r.readString()], [0, 1, 2]);
  assert.equal([...r.readMpintUnsigned()], [0x80, 0x01]);
  assert.is(r.readMpintUnsigned().length, 0);
  assert.equal(r.readNameList(), ['a', 'b-c@x']);
  assert.equal(r.readNameList(), []);
  r.end();
});

test('mpint encoding follows RFC 4251 §5 examples', () => {
  const hex = (m: Buffer) => new SshWriter().writeMpintUnsigned(m).toBuffer().toString('hex');
  assert.is(hex(Buffer.alloc(0)), '00000000');
  assert.is(hex(Buffer.from('09a378f9b2e332a7', 'hex')), '0000000809a378f9b2e332a7');
  assert.is(hex(Buffer.from('80', 'hex')), '000000020080');
});

test('reading past the end throws', () => {
  assertWireError(() => new SshReader(Buffer.from([0, 0, 0])).readUint32(), /uint32 needs 4 bytes, only 3 left/);
  assertWireError(() => new SshReader(Buffer.alloc(7)).readUint64(), /uint64/);
  assertWireError(() => new SshReader(Buffer.alloc(0)).readByte(), /byte/);
  assertWireError(() => new SshReader(Buffer.from([0, 0, 0, 5, 1, 2])).readString(), /string needs 5 bytes, only 2 left/);
  assertWireError(() => new SshReader(Buffer.from([0xff, 0xff, 0xff, 0xff])).readString(), /string needs/);
});

test('trailing bytes are refused by end()', () => {
  const r = new SshReader(Buffer.from([0, 0, 0, 1, 0x41, 0x00]));
  assert.is(r.readUtf8(), 'A');
  assertWireError(() => r.end(), /1 trailing bytes/);
});

test('non-canonical and negative mpints are refused', () => {
  const mp = (bytes: number[]) => new SshReader(new SshWriter().writeString(Buffer.from(bytes)).toBuffer());
  assertWireError(() => mp([0x00, 0x01]).readMpintUnsigned(), /needless leading zero/);
  assertWireError(() => mp([0x00]).readMpintUnsigned(), /needless leading zero/);
  assertWireError(() => mp([0x80]).readMpintUnsigned(), /negative/);
});

test('name-lists with empty names and invalid UTF-8 are refused', () => {
  const str = (s: string | Buffer) => new SshReader(new SshWriter().writeString(s).toBuffer());
  assertWireError(() => str('a,,b').readNameList(), /empty name/);
  assertWireError(() => str('a,').readNameList(), /empty name/);
  assertWireError(() => str(Buffer.from([0xc3, 0x28])).readUtf8(), /UTF-8/);
  assertWireError(() => new SshWriter().writeNameList(['a,b']), /invalid name/);
});

test('the writer refuses out-of-range numbers', () => {
  assertWireError(() => new SshWriter().writeUint32(-1), /uint32/);
  assertWireError(() => new SshWriter().writeUint32(2 ** 32), /uint32/);
  assertWireError(() => new SshWriter().writeUint64(1n << 64n), /uint64/);
  assertWireError(() => new SshWriter().writeByte(256), /byte/);
});

test('position tracks consumption (used to slice the signed portion)', () => {
  const r = new SshReader(new SshWriter().writeString('abc').writeUint32(1).toBuffer());
  r.readString();
  assert.is(r.position, 7);
  assert.is(r.remaining, 4);
});

test.run();
