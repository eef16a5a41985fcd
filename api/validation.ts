import type { FastifySchemaCompiler } from 'fastify';
import type { FastifySerializerCompiler } from 'fastify/types/schema.js';
import type { z } from 'zod';

/** One problem with a request, where it is: `body.limits.cpus`, `query.tail`. */
export interface FieldProblem {
  path: string;
  message: string;
}

/** A request part that failed its zod schema; the error handler renders it as 400 INPUT_INVALID. */
export class RequestValidationError extends Error {
  override readonly name = 'RequestValidationError';
  readonly statusCode = 400;
  constructor(readonly fields: FieldProblem[]) {
    super(fields.map((f) => `${f.path}: ${f.message}`).join('; '));
  }
}

const PART_NAMES: Record<string, string> = { body: 'body', querystring: 'query', params: 'path', headers: 'header' };

/**
 * A key of the client's as a path segment: quoted when it holds a control character, so
 * the message stays one line (a key "\r\nX: 1" broke it; found by the REST fuzzer).
 */
function segment(key: PropertyKey): string {
  const text = String(key);
  return /[\x00-\x1f\x7f]/.test(text) ? JSON.stringify(text) : text;
}

/** Every issue, with unknown keys spelled out as their own paths (the client needs to know which). */
export function fieldProblems(part: string, error: z.ZodError): FieldProblem[] {
  const prefix = PART_NAMES[part] ?? part;
  return error.issues.flatMap((issue) => {
    const base = [prefix, ...issue.path.map(segment)].join('.');
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: `${base}.${segment(key)}`, message: 'unknown field' }));
    return [{ path: base, message: issue.message }];
  });
}

/**
 * Fastify validates each request part with the route's zod schema: the one
 * definition that validates, types (via `z.infer`) and documents (/openapi.json).
 */
export const zodValidatorCompiler: FastifySchemaCompiler<z.ZodType> =
  ({ schema, httpPart }) =>
  (data) => {
    const result = schema.safeParse(data);
    if (result.success) return { value: result.data };
    return { error: new RequestValidationError(fieldProblems(httpPart ?? 'body', result.error)) };
  };

/** Responses go through their schema too: a field the schema does not name never leaks out. */
export const zodSerializerCompiler: FastifySerializerCompiler<z.ZodType> =
  ({ schema }) =>
  (data) =>
    JSON.stringify(schema.parse(data));
