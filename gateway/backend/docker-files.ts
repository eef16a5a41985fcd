import { posix } from 'node:path';
import { MaiError } from '../errors.js';
import type { ContainerFile } from './backend.js';
import { EngineError, queryString, type EngineClient } from './engine-client.js';
import { createTar, type TarEntry } from './tar-writer.js';

/**
 * Directories this module creates are private to their owner: they mostly
 * hold secrets (/run/mai/secrets).
 */
const NEW_DIR_MODE = 0o700;

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
  const archivePath = (p: string) => `/containers/${encodeURIComponent(containerId)}/archive${queryString({ path: p })}`;
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
