import { readFileSync } from 'node:fs';
import { Document, parseDocument } from 'yaml';
import type { z } from 'zod';
import { MaiError } from '../errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

const ENV_REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string value (after parsing, so a
 * value can never inject YAML structure). An unset variable without default is an
 * error naming the dotted path where it was used.
 */
export function interpolateEnv(value: unknown, env: Env, file: string, path: string[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(ENV_REFERENCE, (_match, name: string, fallback: string | undefined) => {
      const resolved = env[name] ?? fallback;
      if (resolved === undefined) {
        throw new MaiError('CONFIG_INVALID', `${file}: ${dotted(path)}: environment variable ${name} is not set`);
      }
      return resolved;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolateEnv(item, env, file, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, interpolateEnv(item, env, file, [...path, key])]),
    );
  }
  return value;
}

/** The first zod issue as `a.b.0.c: message`, the format every config error uses. */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  const where = issue.path.length ? `${dotted(issue.path.map(String))}: ` : '';
  return `${where}${issue.message}`;
}

/** Validates already-parsed data; errors name the file and the dotted path. */
export function validateConfig<T extends z.ZodType>(schema: T, data: unknown, file: string, env: Env): z.output<T> {
  const interpolated = interpolateEnv(data ?? {}, env, file);
  const result = schema.safeParse(interpolated);
  if (!result.success) throw new MaiError('CONFIG_INVALID', `${file}: ${describeIssue(result.error)}`);
  return deepFreeze(result.data);
}

/**
 * Reads, parses, interpolates and validates a YAML config file once, at a process edge.
 * A missing file yields the schema's defaults when `optional` is set.
 */
export function loadYamlConfig<T extends z.ZodType>(
  schema: T,
  file: string,
  env: Env,
  options: { optional?: boolean } = {},
): z.output<T> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && options.optional) return validateConfig(schema, {}, file, env);
    throw new MaiError('CONFIG_NOT_FOUND', `${file}: cannot read config file`, { cause: err });
  }
  const doc = parseDocument(text, { prettyErrors: false });
  const syntaxError = doc.errors[0];
  if (syntaxError) {
    const line = syntaxError.linePos?.[0].line;
    const at = line ? ` (line ${line})` : '';
    throw new MaiError('CONFIG_INVALID', `${file}${at}: invalid YAML: ${firstLine(syntaxError.message)}`);
  }
  return validateConfig(schema, doc.toJS(), file, env);
}

/** Plain data from YAML text (a tool's settings file); throws on a syntax error. */
export function parseYamlText(text: string): unknown {
  const doc = parseDocument(text, { prettyErrors: false });
  if (doc.errors[0]) throw new Error(`invalid YAML: ${firstLine(doc.errors[0].message)}`);
  return doc.toJS();
}

/** Edits by path that `editYamlText` allows; they leave comments and `${VAR}` references elsewhere as they were. */
export interface YamlEdits {
  get(path: readonly string[]): unknown;
  set(path: readonly string[], value: unknown): void;
  delete(path: readonly string[]): void;
}

/**
 * Applies `edit` to a YAML text through its document (so the user's comments and
 * formatting survive) and returns the new text and its plain data, for the caller
 * to validate before writing. Empty text (or comments only) starts a mapping.
 */
export function editYamlText(text: string, edit: (doc: YamlEdits) => void): { text: string; data: unknown } {
  let doc: Document = parseDocument(text);
  if (doc.contents === null) {
    const comment = doc.commentBefore ?? doc.comment;
    doc = new Document({});
    if (comment) doc.commentBefore = comment;
  }
  edit({
    get: (path) => doc.getIn(path),
    set: (path, value) => doc.setIn(path, doc.createNode(value)),
    delete: (path) => void doc.deleteIn(path),
  });
  return { text: doc.toString(), data: doc.toJS() };
}

/** Config is read once and never changed afterwards; freezing makes that a guarantee. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const item of Object.values(value)) deepFreeze(item);
  }
  return value;
}

function dotted(path: string[]): string {
  return path.length ? path.join('.') : '(top level)';
}

function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}
