import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { MaiError } from '../errors.js';
import type { ContainerFile } from './backend.js';
import { statusCodeOf } from './docker-errors.js';
import { EngineError, queryString, type EngineClient } from './engine-client.js';
import { createTar, type TarEntry } from './tar-writer.js';

/**
 * Directories this module creates are private to their owner: they mostly
 * hold secrets (/run/mai/secrets).
 */
const NEW_DIR_MODE = 0o700;

/** The engine's `/archive` endpoint for one path of a container. */
function archiveOf(containerId: string, path: string): string {
  return `/containers/${encodeURIComponent(containerId)}/archive${queryString({ path })}`;
}

/**
 * Copies files into a container with one `PUT /archive` at `/`.
 *
 * The engine applies a directory entry's owner and mode even to a directory
 * that already exists, so the archive must only carry the parents that are
 * missing (an entry for `run/` would hand /run to uid 1000). Which ones are
 * missing is asked with `HEAD /archive`, which works on created containers too.
 */
export async function writeFiles(engine: EngineClient, containerId: string, files: ContainerFile[]): Promise<void> {
  if (files.length === 0) return;
  const archivePath = (p: string) => archiveOf(containerId, p);
  const exists = new Map<string, Promise<boolean>>([['/', Promise.resolve(true)]]);
  const pathExists = (p: string): Promise<boolean> => {
    let known = exists.get(p);
    if (!known) {
      known = engine.status('HEAD', archivePath(p)).then((status) => {
        if (status === 200) return true;
        if (status === 404) return false;
        throw new EngineError(status, null, `archive HEAD ${p}: ${status}`);
      });
      exists.set(p, known);
    }
    return known;
  };

  const dirs = new Map<string, TarEntry>();
  const entries: TarEntry[] = [];
  for (const file of files) {
    const path = posix.normalize(file.path);
    if (!posix.isAbsolute(path) || path === '/') {
      throw new MaiError('INPUT_INVALID', `container file path must be absolute: ${file.path}`);
    }
    // Walk up from the parent until a directory exists; everything below it is created.
    const missing: string[] = [];
    for (let dir = posix.dirname(path); !(await pathExists(dir)); dir = posix.dirname(dir)) missing.unshift(dir);
    for (const dir of missing) {
      if (!dirs.has(dir)) {
        dirs.set(dir, { path: dir.slice(1), type: 'directory', mode: NEW_DIR_MODE, uid: file.uid, gid: file.gid });
      }
    }
    const content = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    entries.push({ path: path.slice(1), type: 'file', mode: file.mode, uid: file.uid, gid: file.gid, content });
  }
  // Parents first, shallowest first, so the engine never invents one itself (as root).
  const sortedDirs = [...dirs.values()].sort((a, b) => a.path.split('/').length - b.path.split('/').length);
  const archive = createTar([...sortedDirs, ...entries]);
  await engine.put(archivePath('/'), archive, 'application/x-tar');
}

/*
 * `GET /archive` answers a tar of the path. Of a ustar header (see tar-writer.ts) only
 * these fields matter here: size (octal, offset 124, 12 bytes) and typeflag (offset 156:
 * '0' or NUL for a regular file; 'x', 'g' for pax and 'L', 'K' for GNU extended headers,
 * which describe the entry after them). Each entry's content follows its 512-byte
 * header, padded to a multiple of 512.
 */
const HEADER = 512;
const EXTENDED_HEADERS = new Set(['x', 'g', 'L', 'K']);

/** One regular file of a container (volumes included), at most `maxBytes`; null when missing or not a file. */
export async function readFile(engine: EngineClient, containerId: string, path: string, maxBytes: number): Promise<Buffer | null> {
  let stream: Readable;
  try {
    stream = await engine.stream(archiveOf(containerId, path));
  } catch (err) {
    if (statusCodeOf(err) === 404) return null;
    throw err;
  }
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.length;
    // Headers (extended ones too), the file and padding: anything longer is more than we asked for.
    if (length > maxBytes + 64 * 1024) {
      stream.destroy();
      throw new MaiError('DOCKER_FAILED', `${path} in the container is larger than ${maxBytes} bytes`);
    }
  }
  const tar = Buffer.concat(chunks);
  for (let offset = 0; offset + HEADER <= tar.length; ) {
    const type = String.fromCharCode(tar[offset + 156]!);
    const size = parseInt(tar.subarray(offset + 124, offset + 136).toString('latin1').replace(/\0.*$/s, '').trim() || '0', 8);
    if (!Number.isSafeInteger(size)) return null;
    if (EXTENDED_HEADERS.has(type)) {
      offset += HEADER + Math.ceil(size / HEADER) * HEADER;
      continue;
    }
    if (type !== '0' && type !== '\0') return null;
    if (size > maxBytes) throw new MaiError('DOCKER_FAILED', `${path} in the container is larger than ${maxBytes} bytes`);
    return tar.subarray(offset + HEADER, offset + HEADER + size);
  }
  return null;
}
