/**
 * Fuzzing the REST API from its own OpenAPI document (property-based, fast-check): for
 * every operation it lists, generated requests (valid, half-valid and malformed, as
 * alice, as the admin, with a bad bearer or none) get an answer below 500, and every
 * refusal is `{code, message}` with a code of the catalog and that code's HTTP status.
 * The server is the real assembled one (store, Docker backend, drivers), driven with
 * inject(). Creating a session with a real driver is left out: it would start a
 * container per case (the endpoint tests and the soak cover real creates).
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ERROR_CODES, type ErrorCode } from '../../gateway/errors.js';
import { bearer, openApiFixture, TOKENS, type ApiFixture } from '../api/api-fixture.js';
import { fuzzCases, fuzzSeed } from './fuzz-kit.js';
import { operationsOf, requestsFor, type GeneratedRequest, type Operation } from './openapi-arbitrary.js';

const test = suite('REST API fuzz');
const seed = fuzzSeed();
/** Requests per operation: a few in `npm test`, 10^4 under `npm run fuzz`. */
const PER_ROUTE = fuzzCases(25, 10_000);
/** Never a real driver: the driver the fuzzer names instead when a body names one (or none, which means the default). */
const NO_DRIVER = 'fuzz-no-such-driver';

let fixture: ApiFixture;
let operations: Operation[] = [];
let drivers = new Set<string>();
const alice = bearer(TOKENS.alice).authorization!;
/** Mostly alice (what a signed-in user reaches), some admin, some garbage and none. */
const BEARERS = [alice, alice, alice, alice, alice, bearer(TOKENS.root).authorization!, 'Bearer not-a-token', 'Basic YWxpY2U6eA==', 'Bearer ', null];

/** Opened in the first test (uvu swallows a hook's errors): the document's operations and the real driver names with it. */
async function open(): Promise<void> {
  // The /auth rate limit would answer nearly all of them 429 (a refusal, but one that hides the routes behind it).
  fixture = await openApiFixture('sqlite', { rateLimit: { max: 1_000_000_000 } });
  const document = (await fixture.app.inject({ method: 'GET', url: '/openapi.json' })).json();
  operations = operationsOf(document);
  const listed = (await fixture.app.inject({ method: 'GET', url: '/drivers', headers: bearer(TOKENS.alice) })).json() as { drivers: Array<{ name: string }> };
  drivers = new Set(listed.drivers.map((d) => d.name));
}

test.after(async () => {
  await fixture?.close();
});

/** A session create's body, with any real driver (or none: the default) replaced by one that does not exist. */
function withoutRealDriver(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const driver = (body as { driver?: unknown }).driver;
  return driver === undefined || (typeof driver === 'string' && drivers.has(driver)) ? { ...body, driver: NO_DRIVER } : body;
}

/** Why an answer breaks the contract, or null: below 500, and a refusal is a catalog code with its own status. */
function contractBroken(status: number, contentType: string, body: string): string | null {
  if (status >= 500) return `answered ${status}: ${body.slice(0, 300)}`;
  if (status < 400) return null;
  // The browser's sign-in pages (/ui/auth/*) answer a page that names the code, e.g. `... [AUTH_FAILED]`.
  if (contentType.startsWith('text/html')) {
    const named = /\[([A-Z_]+)\]<\/p>/.exec(body)?.[1];
    return named && named in ERROR_CODES ? null : `a ${status} page without a catalog code: ${body.slice(0, 300)}`;
  }
  if (!contentType.startsWith('application/json')) return `a ${status} that is not JSON: ${body.slice(0, 300)}`;
  const { code, message } = JSON.parse(body) as { code?: string; message?: string };
  if (typeof code !== 'string' || !(code in ERROR_CODES)) return `a ${status} without a catalog code: ${body.slice(0, 300)}`;
  if (ERROR_CODES[code as ErrorCode].http !== status) return `${code} answered with ${status}, its code says ${ERROR_CODES[code as ErrorCode].http}`;
  if (typeof message !== 'string' || message.includes('\n')) return `${code} without a one-line message`;
  return null;
}

test(`every operation of /openapi.json: generated requests get a 2xx-4xx, refusals a catalog code (seed ${seed})`, async () => {
  await open();
  assert.ok(drivers.size > 0, 'GET /drivers lists the drivers');
  assert.ok(operations.length >= 30, `the document lists ${operations.length} operations`);
  const statuses = new Map<string, Map<number, number>>();
  for (const op of operations) {
    const route = `${op.method} ${op.path}`;
    const seen = new Map<number, number>();
    statuses.set(route, seen);
    const adjust = op.method === 'POST' && op.path === '/sessions' ? withoutRealDriver : undefined;
    const property = fc.asyncProperty(requestsFor(op, BEARERS, adjust), async (request: GeneratedRequest) => {
      const res = await fixture.app.inject({ ...request, method: request.method as 'GET' });
      seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
      const broken = contractBroken(res.statusCode, String(res.headers['content-type'] ?? ''), res.body);
      if (broken) throw new Error(`${request.method} ${request.url.slice(0, 300)}: ${broken}`);
    });
    await fc.assert(property, { numRuns: PER_ROUTE, seed, includeErrorInReport: true });
  }
  const lines = [...statuses].map(([route, seen]) => `${route.padEnd(36)} ${[...seen].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ')}`);
  process.stdout.write(`\n  [fuzz] ${operations.length} operations × ${PER_ROUTE} requests (status × count):\n    ${lines.join('\n    ')}\n`);
});

test('found by this fuzzer: answers that were not catalog codes, or not one line', async () => {
  const get = async (url: string) => {
    const res = await fixture.app.inject({ method: 'GET', url, headers: bearer(TOKENS.alice) });
    return { status: res.statusCode, ...(res.json() as { code: string; message: string }) };
  };
  // The router refused parameters over 100 characters with its own 414, though ids of up to 128 are valid.
  assert.is((await get(`/sessions/${'m'.repeat(101)}`)).code, 'SESSION_NOT_FOUND');
  assert.is((await get(`/sessions/${'m'.repeat(129)}`)).code, 'INPUT_INVALID');
  assert.is((await get(`/projects/${'m'.repeat(9000)}`)).code, 'INPUT_INVALID');
  // A path that does not decode.
  assert.equal(await get('/sessions/%zz'), { status: 400, code: 'INPUT_INVALID', message: 'the path is not valid URL encoding' });
  // The terminal without the WebSocket upgrade: an empty 404.
  assert.is((await get('/sessions/x/terminal')).code, 'INPUT_INVALID');
  // A line break in a reference made a two-line message.
  const notFound = await get('/sessions/%0D%0AX-Injected%3A%201');
  assert.equal(notFound, { status: 404, code: 'SESSION_NOT_FOUND', message: 'no such session: \\r\\nX-Injected: 1' });
  const invalid = (await fixture.app.inject({ method: 'POST', url: '/sessions', headers: bearer(TOKENS.alice), payload: { env: { '\r\nX': 1 } } })).json() as { message: string };
  assert.not.match(invalid.message, /[\r\n]/);
});

test('the fuzzer started no session: no container, no row', async () => {
  const listed = (await fixture.app.inject({ method: 'GET', url: '/sessions?all=1', headers: bearer(TOKENS.root) })).json() as { sessions: unknown[] };
  assert.equal(listed.sessions, []);
});

test.run();
