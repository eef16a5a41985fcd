/**
 * A minimal in-memory ustar writer: regular files and directories only, which
 * is all `writeFiles` needs. Written here rather than borrowed from a
 * transitive dependency of dockerode, so the backend depends on nothing it
 * does not declare.
 */

export interface TarEntry {
  /** Path inside the archive, relative (no leading '/'). */
  path: string;
  type: 'file' | 'directory';
  /** Permission bits, e.g. 0o400. */
  mode: number;
  uid: number;
  gid: number;
  /** Only for files. */
  content?: Buffer;
  /** Seconds since the epoch; defaults to now. */
  mtime?: number;
}

const BLOCK = 512;

/*
 * POSIX ustar header (IEEE Std 1003.1-1988), one 512-byte block:
 *   offset size field
 *        0  100 name      (NUL-terminated unless exactly 100 bytes)
 *      100    8 mode      (octal, NUL-terminated)
 *      108    8 uid       (octal)
 *      116    8 gid       (octal)
 *      124   12 size      (octal)
 *      136   12 mtime     (octal)
 *      148    8 chksum    (octal, computed with this field as 8 spaces)
 *      156    1 typeflag  ('0' file, '5' directory)
 *      157  100 linkname
 *      257    6 magic     ("ustar\0")
 *      263    2 version   ("00")
 *      265   32 uname
 *      297   32 gname
 *      329    8 devmajor
 *      337    8 devminor
 *      345  155 prefix    (joined to name with '/')
 *      500   12 padding
 * File content follows in 512-byte blocks, zero-padded; the archive ends
 * with two zero blocks.
 */
function header(entry: TarEntry, size: number): Buffer {
  const buf = Buffer.alloc(BLOCK);
  const name = entry.type === 'directory' && !entry.path.endsWith('/') ? `${entry.path}/` : entry.path;
  const [prefix, base] = splitName(name);
  buf.write(base, 0, 100, 'utf8');
  writeOctal(buf, 100, 8, entry.mode & 0o7777);
  writeOctal(buf, 108, 8, entry.uid);
  writeOctal(buf, 116, 8, entry.gid);
  writeOctal(buf, 124, 12, size);
  writeOctal(buf, 136, 12, entry.mtime ?? Math.floor(Date.now() / 1000));
  buf.fill(0x20, 148, 156);
  buf.write(entry.type === 'directory' ? '5' : '0', 156, 1, 'ascii');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  buf.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of buf) sum += byte;
  writeOctal(buf, 148, 8, sum);
  return buf;
}

/** Splits a path into ustar's (prefix, name) so that both fit; throws when impossible. */
function splitName(path: string): [string, string] {
  if (Buffer.byteLength(path) <= 100) return ['', path];
  // Split at a '/' such that the prefix fits in 155 bytes and the rest in 100.
  for (let i = path.lastIndexOf('/', path.length - 2); i > 0; i = path.lastIndexOf('/', i - 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return [prefix, name];
    if (Buffer.byteLength(name) > 100) break;
  }
  throw new RangeError(`path too long for a ustar archive: ${path}`);
}

function writeOctal(buf: Buffer, offset: number, length: number, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`invalid tar header number: ${value}`);
  const digits = value.toString(8);
  if (digits.length > length - 1) throw new RangeError(`tar header number too large: ${value}`);
  buf.write(digits.padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** Builds a complete ustar archive from the entries, in order (parents before children). */
export function createTar(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    if (entry.path.startsWith('/') || entry.path.split('/').includes('..')) {
      throw new RangeError(`tar entry path must be relative and stay inside: ${entry.path}`);
    }
    const content = entry.type === 'file' ? (entry.content ?? Buffer.alloc(0)) : Buffer.alloc(0);
    parts.push(header(entry, content.length));
    if (content.length > 0) {
      parts.push(content);
      const pad = (BLOCK - (content.length % BLOCK)) % BLOCK;
      if (pad > 0) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  return Buffer.concat(parts);
}
