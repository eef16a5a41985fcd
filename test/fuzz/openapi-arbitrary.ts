/**
 * Requests generated from the server's own OpenAPI document (GET /openapi.json) with
 * fast-check: for each operation, path and query parameters and a JSON body drawn from
 * its schemas, where any value at any depth may instead be something the schema does
 * not allow (another type, an edge string, a value past its bounds), and the request as
 * a whole may be malformed (a body that is not JSON, the wrong media type, no or a bad
 * bearer). What a well-formed request reaches is the domain core behind the route.
 */
import fc from 'fast-check';

/** The JSON Schema subset zod's toJSONSchema writes into /openapi.json. */
export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  enum?: unknown[];
  const?: unknown;
  pattern?: string;
  format?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  maxItems?: number;
}

interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  schema: JsonSchema;
}

export interface Operation {
  method: string;
  /** The templated path, e.g. `/sessions/{id}`. */
  path: string;
  parameters: Parameter[];
  body?: JsonSchema;
}

export interface GeneratedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  payload?: string;
}

/** Every operation of the document, in its order. */
export function operationsOf(document: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema?: JsonSchema }> } }>> }): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      ...(op.requestBody?.content?.['application/json']?.schema ? { body: op.requestBody.content['application/json'].schema } : {}),
    })),
  );
}

/** Strings that break naive code: empty, huge, NUL and control bytes, traversal, encodings, lookalikes. */
const edgeString = fc.constantFrom('', ' ', '\0', 'a\0b', '..', '../../etc/passwd', '%00', '%2e%2e%2f', '\u202e', '\ud800', 'ü', '😀', '\r\nX-Injected: 1', '${HOME}', "'; drop table sessions; --", 'x'.repeat(70_000), '-1', '1e309', 'null', '[]', '{}');
/** A map's key: mostly an environment variable's kind of name (what env maps take), sometimes anything. */
const variableName = fc.oneof({ weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,11}$/) }, { weight: 1, arbitrary: fc.string({ maxLength: 12 }) }, { weight: 1, arbitrary: edgeString });
/** Any JSON value, or one of the edge strings. */
const junk: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 2 }), edgeString, fc.integer(), fc.double(), fc.constant(null));

/**
 * A value valid for `schema` most of the time, anything one time in eight (at every
 * depth: an object of eight fields is then wholly valid about a third of the time, and
 * reaches the domain's own checks past validation).
 */
export function fromSchema(schema: JsonSchema | undefined, depth = 0): fc.Arbitrary<unknown> {
  const valid = validFor(schema ?? {}, depth);
  return fc.oneof({ weight: 7, arbitrary: valid }, { weight: 1, arbitrary: junk });
}

function validFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  const alternatives = schema.anyOf ?? schema.oneOf;
  if (alternatives) return fc.oneof(...alternatives.map((s) => fromSchema(s, depth + 1)));
  if ('const' in schema) return fc.constant(schema.const);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'string':
      return stringFor(schema);
    case 'integer':
      return fc.oneof(fc.integer({ min: schema.minimum ?? -1e6, max: schema.maximum ?? 1e6 }), fc.constantFrom(schema.minimum ?? 0, schema.maximum ?? 0, (schema.minimum ?? 0) - 1, (schema.maximum ?? 0) + 1, 2 ** 53));
    case 'number':
      return fc.oneof(fc.double({ noNaN: true }), fc.constantFrom(0, -1, 1e308));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(fromSchema(schema.items, depth + 1), { maxLength: Math.min(schema.maxItems ?? 4, 4) + (depth < 2 ? 1 : 0) });
    case 'object':
      return objectFor(schema, depth);
    default:
      return junk;
  }
}

function stringFor(schema: JsonSchema): fc.Arbitrary<string> {
  if (schema.format === 'uri') return fc.oneof(fc.webUrl(), fc.constantFrom('http://127.0.0.1:1/', 'file:///etc/passwd', 'javascript:alert(1)', 'http://[::1'));
  const bounded = fc.string({ minLength: schema.minLength ?? 0, maxLength: Math.min(schema.maxLength ?? 40, 40), unit: 'binary' });
  // Mostly what the pattern allows, when there is one (a name, a model): that is what gets past validation.
  const arbitraries = [{ weight: 4, arbitrary: schema.pattern ? fc.stringMatching(new RegExp(schema.pattern)) : bounded }, { weight: 1, arbitrary: bounded }, { weight: 1, arbitrary: edgeString }];
  // At the bound and one past it: a limit that is off by one shows here.
  if (schema.maxLength !== undefined) arbitraries.push({ weight: 1, arbitrary: fc.constantFrom('m'.repeat(schema.maxLength), 'm'.repeat(schema.maxLength + 1)) });
  return fc.oneof(...arbitraries);
}

function objectFor(schema: JsonSchema, depth: number): fc.Arbitrary<unknown> {
  if (depth > 3) return fc.constant({});
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([key, s]) => [key, fromSchema(s, depth + 1)]));
  const known = fc.record(properties, { requiredKeys: (schema.required ?? []).filter((k) => k in properties) });
  // Keys the schema does not name: refused where it is strict, a map's entries where it is one.
  const extra =
    typeof schema.additionalProperties === 'object'
      ? fc.dictionary(variableName, fromSchema(schema.additionalProperties, depth + 1), { maxKeys: 4 })
      : fc.oneof({ weight: 5, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('owner', '__proto__', 'constructor', 'admin', 'id'), junk, { maxKeys: 2 }) });
  return fc.tuple(known, extra).map(([a, b]) => ({ ...b, ...a }));
}

/** Every UTF-8 byte but the unreserved ones escaped (encodeURIComponent throws on a lone surrogate; this sends U+FFFD). */
function percentEncode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9._~-]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** A parameter's value as it travels in a URL: drawn from its schema, sometimes an edge string or a broken escape. */
function parameterValue(parameter: Parameter): fc.Arbitrary<string> {
  const encoded = fromSchema(parameter.schema).map((v) => percentEncode(typeof v === 'string' ? v : (JSON.stringify(v) ?? 'undefined')));
  return fc.oneof({ weight: 6, arbitrary: encoded }, { weight: 1, arbitrary: fc.constantFrom('%zz', '%', '%E0%A4%A', '..%2F..', '%2F', '%00') });
}

/**
 * Requests for one operation. `bearers` are the Authorization values to choose from
 * (valid users' among garbage); `adjustBody` may take a well-formed body away from
 * what the run must not do (a real container start).
 */
export function requestsFor(op: Operation, bearers: readonly (string | null)[], adjustBody: (body: unknown) => unknown = (b) => b): fc.Arbitrary<GeneratedRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map(parameterValue)).map((values) => pathParams.reduce((url, p, i) => url.replace(`{${p.name}}`, values[i]!), op.path));
  const query = fc
    .tuple(fc.subarray(queryParams), fc.boolean())
    .chain(([chosen, unknown]) => fc.tuple(...chosen.map((p) => parameterValue(p).map((v) => `${p.name}=${v}`)), unknown ? fc.constant('unknown=1') : fc.constant('')))
    .map((pairs) => pairs.filter(Boolean).join('&'));
  const body: fc.Arbitrary<{ payload?: string; type?: string }> = op.body
    ? fc.oneof(
        { weight: 8, arbitrary: fromSchema(op.body).map((b) => ({ payload: JSON.stringify(adjustBody(b)) ?? 'null', type: 'application/json' })) },
        { weight: 1, arbitrary: fc.constantFrom({ payload: '{"a":', type: 'application/json' }, { payload: 'x=1', type: 'application/x-www-form-urlencoded' }, { payload: '{}', type: 'text/plain' }, {}) },
      )
    : fc.oneof({ weight: 4, arbitrary: fc.constant({}) }, { weight: 1, arbitrary: fc.constantFrom({ payload: '{"x":1}', type: 'application/json' }, { payload: '\0', type: 'application/octet-stream' }) });
  return fc.tuple(path, query, body, fc.constantFrom(...bearers)).map(([url, q, { payload, type }, bearer]) => ({
    method: op.method,
    url: q ? `${url}?${q}` : url,
    headers: { ...(bearer ? { authorization: bearer } : {}), ...(type ? { 'content-type': type } : {}) },
    ...(payload === undefined ? {} : { payload }),
  }));
}
