import { createHash } from 'node:crypto';
import type { ContainerFile } from '../backend/backend.js';
import { editYamlText, parseYamlText } from '../config/load-yaml.js';
import { SESSION_USER_ID } from './project-service.js';
import { isPlainObject } from './tool-template.js';

/** A setting mai puts into a tool's config file: the keys leading to it, and its value. */
export interface OwnedSetting {
  path: readonly string[];
  value: unknown;
}

export interface ToolConfigFormat {
  format: 'json' | 'yaml';
  merge: boolean;
}

/** What is in the container already (read before start), for a merged file. */
export interface ExistingConfig {
  text: string | null;
  /** The ledger mai wrote with it last time. */
  ledger: string | null;
}

/**
 * The text of a tool's config file with mai's settings in it, and the ledger that goes
 * beside it (merged files only).
 *
 * A merged file belongs to the tool (it outlives sessions in a persisted volume, the tool
 * writes to it): mai sets its own settings and keeps every other key and, in YAML, the
 * comments. The ledger records a digest of each setting mai wrote; next time, a setting
 * mai no longer wants is removed, but only while it is still what mai wrote: an MCP server
 * of an earlier session goes, one the user has edited since stays.
 *
 * Throws when the existing text cannot be parsed: the caller leaves the user's file alone.
 */
export function renderToolConfig(file: ToolConfigFormat, owned: readonly OwnedSetting[], existing: ExistingConfig): { text: string; ledger?: string } {
  if (!file.merge) return { text: serialize(file.format, setAll({}, owned)) };
  const before = parseLedger(existing.ledger);
  const wanted = new Set(owned.map((o) => pathKey(o.path)));
  const current = existing.text?.trim() ? parse(file.format, existing.text) : {};
  const stale = [...before].filter(([key, digest]) => !wanted.has(key) && digestOf(getIn(current, JSON.parse(key))) === digest);
  const deletes = emptiedBy(current, stale.map(([key]) => JSON.parse(key) as string[]));
  const ledger = JSON.stringify({ version: 1, settings: Object.fromEntries(owned.map((o) => [pathKey(o.path), digestOf(o.value)])) }, null, 2);
  if (file.format === 'yaml') {
    const { text } = editYamlText(existing.text ?? '', (doc) => {
      for (const path of deletes) doc.delete(path);
      for (const o of owned) doc.set(o.path, o.value);
    });
    return { text, ledger: `${ledger}\n` };
  }
  for (const path of deletes) deleteIn(current, path);
  return { text: serialize('json', setAll(current, owned)), ledger: `${ledger}\n` };
}

/** Where the ledger of a merged file lives: beside it, in the same (persisted) folder. */
export function ledgerPath(path: string): string {
  return `${path}.mai-managed`;
}

function parse(format: 'json' | 'yaml', text: string): Record<string, unknown> {
  let data: unknown;
  if (format === 'json') data = JSON.parse(text);
  else data = parseYamlText(text);
  if (!isPlainObject(data)) throw new Error('the file does not hold a map');
  return data;
}

function serialize(format: 'json' | 'yaml', data: Record<string, unknown>): string {
  if (format === 'json') return `${JSON.stringify(data, null, 2)}\n`;
  return editYamlText('', (doc) => {
    for (const [key, value] of Object.entries(data)) doc.set([key], value);
  }).text;
}

function parseLedger(text: string | null): Map<string, string> {
  if (!text) return new Map();
  try {
    const data = JSON.parse(text) as { settings?: unknown };
    if (!isPlainObject(data.settings)) return new Map();
    return new Map(Object.entries(data.settings).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return new Map(); // a damaged ledger forgets; the settings it listed stay
  }
}

/** The stale paths and, after them, their parents that deleting them leaves empty. */
function emptiedBy(data: Record<string, unknown>, stale: readonly string[][]): string[][] {
  const copy = structuredClone(data);
  const deletes: string[][] = [];
  for (const path of stale) {
    deleteIn(copy, path);
    deletes.push(path);
    for (let up = path.slice(0, -1); up.length > 0; up = up.slice(0, -1)) {
      const parent = getIn(copy, up);
      if (!isPlainObject(parent) || Object.keys(parent).length > 0) break;
      deleteIn(copy, up);
      deletes.push(up);
    }
  }
  return deletes;
}

function setAll(data: Record<string, unknown>, owned: readonly OwnedSetting[]): Record<string, unknown> {
  for (const { path, value } of owned) {
    let node = data;
    for (const key of path.slice(0, -1)) {
      if (!isPlainObject(node[key])) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]!] = value;
  }
  return data;
}

function getIn(data: unknown, path: readonly string[]): unknown {
  let node = data;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return undefined;
    node = node[key];
  }
  return node;
}

function deleteIn(data: Record<string, unknown>, path: readonly string[]): void {
  const parent = getIn(data, path.slice(0, -1));
  if (isPlainObject(parent)) delete parent[path[path.length - 1]!];
}

function pathKey(path: readonly string[]): string {
  return JSON.stringify(path);
}

function digestOf(value: unknown): string | null {
  return value === undefined ? null : createHash('sha256').update(JSON.stringify(value)).digest('hex');
}

/** Largest tool config file mai reads back to merge (Claude Code's grows with its history). */
const MAX_CONFIG_BYTES = 16 * 1024 * 1024;

/**
 * The files that put `settings` into a tool's config file inside a created session:
 * merged with what is there (read through `read`, volumes included), or written whole.
 * A file mai cannot read or parse is left alone, and `onProgress` says so: the session
 * starts without those settings rather than with the user's file destroyed.
 */
export async function toolConfigFiles(
  file: ToolConfigFormat & { path: string; settings: readonly OwnedSetting[] },
  read: (path: string, maxBytes: number) => Promise<Buffer | null>,
  onProgress: (line: string) => void,
): Promise<ContainerFile[]> {
  let rendered: { text: string; ledger?: string };
  try {
    const ledger = file.merge ? ((await read(ledgerPath(file.path), 1024 * 1024))?.toString('utf8') ?? null) : null;
    // Nothing to set and nothing set before: the tool's file is not touched.
    if (file.settings.length === 0 && ledger === null) return [];
    const text = file.merge ? ((await read(file.path, MAX_CONFIG_BYTES))?.toString('utf8') ?? null) : null;
    const existing: ExistingConfig = { text, ledger };
    rendered = renderToolConfig(file, file.settings, existing);
  } catch (err) {
    onProgress(`mai: ${file.path} in the session cannot be read as ${file.format} (${(err as Error).message}); left as it is, without mai's model and MCP settings`);
    return [];
  }
  const private0600 = (path: string, content: string): ContainerFile => ({ path, content, mode: 0o600, uid: SESSION_USER_ID, gid: SESSION_USER_ID });
  return [private0600(file.path, rendered.text), ...(rendered.ledger ? [private0600(ledgerPath(file.path), rendered.ledger)] : [])];
}
