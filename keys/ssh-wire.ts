/**
 * SSH wire encoding, RFC 4251 §5: the data types every SSH binary structure is made of
 * (certificates, public keys, signatures, agent messages).
 *
 *   byte       one octet
 *   uint32     4 octets, big-endian
 *   uint64     8 octets, big-endian (returned as bigint)
 *   string     uint32 length, then that many octets (binary-safe)
 *   mpint      string holding a two's-complement big-endian integer, no needless
 *              leading 0x00/0xff octets; zero is the empty string
 *   name-list  string holding comma-separated US-ASCII names, none empty
 *
 * The reader is strict: reading past the end, a non-minimal mpint, an empty name in
 * a name-list or trailing bytes at `end()` all throw KeyError('MALFORMED').
 * Callers at a boundary translate that into their own code (CERT_INVALID, CONFIG_INVALID).
 */
import { KeyError } from './key-error.js';

const UINT64_MAX = (1n << 64n) - 1n;

function wireError(message: string): KeyError {
  return new KeyError('MALFORMED', `ssh wire: ${message}`);
}

/** Sequential, bounds-checked reader over one SSH-encoded buffer. Holds no state besides the offset. */
export class SshReader {
  private offset = 0;

  constructor(private readonly buf: Buffer) {}

  /** Bytes consumed so far; lets callers slice the signed portion of a structure. */
  get position(): number {
    return this.offset;
  }

  get remaining(): number {
    return this.buf.length - this.offset;
  }

  private take(length: number, what: string): Buffer {
    if (length > this.remaining) {
      throw wireError(`${what} needs ${length} bytes, only ${this.remaining} left`);
    }
    const out = this.buf.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  readByte(): number {
    return this.take(1, 'byte')[0] as number;
  }

  readBoolean(): boolean {
    return this.readByte() !== 0;
  }

  readUint32(): number {
    return this.take(4, 'uint32').readUInt32BE(0);
  }

  readUint64(): bigint {
    return this.take(8, 'uint64').readBigUInt64BE(0);
  }

  /** A string's raw octets (a view into the underlying buffer, not a copy). */
  readString(): Buffer {
    const length = this.readUint32();
    return this.take(length, 'string');
  }

  /** A string that must be valid UTF-8 (names, key ids, principals). */
  readUtf8(): string {
    const raw = this.readString();
    const text = raw.toString('utf8');
    if (!Buffer.from(text, 'utf8').equals(raw)) throw wireError('string is not valid UTF-8');
    return text;
  }

  /** A non-negative mpint as its magnitude octets, leading zeros stripped. */
  readMpintUnsigned(): Buffer {
    const raw = this.readString();
    if (raw.length === 0) return raw;
    const first = raw[0] as number;
    if (first & 0x80) throw wireError('mpint is negative');
    if (first === 0) {
      if (raw.length === 1 || !((raw[1] as number) & 0x80)) throw wireError('mpint has a needless leading zero');
      return raw.subarray(1);
    }
    return raw;
  }

  readNameList(): string[] {
    const text = this.readUtf8();
    if (text === '') return [];
    const names = text.split(',');
    if (names.some((n) => n === '')) throw wireError('name-list has an empty name');
    return names;
  }

  /** Asserts the whole buffer was consumed. */
  end(): void {
    if (this.remaining !== 0) throw wireError(`${this.remaining} trailing bytes`);
  }
}

/** Append-only builder of SSH-encoded data. */
export class SshWriter {
  private readonly parts: Buffer[] = [];

  writeByte(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) throw wireError(`byte out of range: ${value}`);
    this.parts.push(Buffer.from([value]));
    return this;
  }

  writeBoolean(value: boolean): this {
    return this.writeByte(value ? 1 : 0);
  }

  writeUint32(value: number): this {
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw wireError(`uint32 out of range: ${value}`);
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value, 0);
    this.parts.push(b);
    return this;
  }

  writeUint64(value: bigint): this {
    if (value < 0n || value > UINT64_MAX) throw wireError('uint64 out of range');
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(value, 0);
    this.parts.push(b);
    return this;
  }

  writeString(value: Buffer | string): this {
    const data = typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
    this.writeUint32(data.length);
    this.parts.push(Buffer.from(data));
    return this;
  }

  /** A non-negative integer given as big-endian magnitude octets (leading zeros allowed in the input). */
  writeMpintUnsigned(magnitude: Buffer): this {
    let start = 0;
    while (start < magnitude.length && magnitude[start] === 0) start++;
    const digits = magnitude.subarray(start);
    if (digits.length === 0) return this.writeString(Buffer.alloc(0));
    const needsPad = ((digits[0] as number) & 0x80) !== 0;
    return this.writeString(needsPad ? Buffer.concat([Buffer.from([0]), digits]) : digits);
  }

  writeNameList(names: readonly string[]): this {
    for (const n of names) {
      if (n === '' || n.includes(',')) throw wireError(`invalid name in name-list: ${JSON.stringify(n)}`);
    }
    return this.writeString(names.join(','));
  }

  /** Appends already-encoded bytes verbatim. */
  writeRaw(data: Buffer): this {
    this.parts.push(Buffer.from(data));
    return this;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}
