import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { SESSION_COOKIE } from './cookies.js';
import { CSRF_HEADER } from './principal.js';
import { errorSchema } from './schemas.js';
import { WS_BEARER_PREFIX, WS_PROTOCOL } from './websocket.js';

/** Any one of these authenticates a request (OpenAPI: alternatives in a list). */
const HTTP_SECURITY = [{ bearer: [] }, { browserSession: [] }];
const WEBSOCKET_SECURITY = [{ websocketBearer: [] }, { bearer: [] }, { browserSession: [] }];

/** The keys of a route's `schema` that mai uses; all of them zod schemas, plus words for humans. */
export interface RouteSchema {
  summary?: string;
  /** True when the route needs `Authorization: Bearer`. */
  auth?: boolean;
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  response?: Record<number, z.ZodType>;
  websocket?: string;
}

declare module 'fastify' {
  interface FastifySchema {
    /** One line for /openapi.json. */
    summary?: string;
    /** Documents that the route needs `Authorization: Bearer` (enforced by `requireAuth`, not by this flag). */
    auth?: boolean;
    /** The route (also) speaks WebSocket: what its frames and close codes are. */
    websocket?: string;
  }
}

type JsonSchema = Record<string, unknown>;

function toJson(schema: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json['$schema'];
  return json;
}

/**
 * Collects every route as it is registered and serves them as an OpenAPI 3.1 document
 * at /openapi.json, generated from the same zod schemas that validate the traffic,
 * so the documentation cannot drift from the behaviour.
 */
export function registerOpenApi(app: FastifyInstance, info: { title: string; version: string }): void {
  const routes: RouteOptions[] = [];
  app.addHook('onRoute', (route) => {
    if (route.method !== 'HEAD') routes.push(route);
  });
  // Plugins hide their routes (static files) through `schema.hide`; the WebSocket plugin hides
  // every WebSocket route that way too, and those we document. Read when built: hooks run in order.
  const documented = (route: RouteOptions) => {
    const schema = (route.schema ?? {}) as RouteSchema & { hide?: boolean };
    return !schema.hide || Boolean(schema.websocket);
  };
  let document: JsonSchema | null = null;
  app.get('/openapi.json', async () => (document ??= build(routes.filter(documented), info)));
}

function build(routes: RouteOptions[], info: { title: string; version: string }): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const schema = (route.schema ?? {}) as RouteSchema;
    const path = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const parameters = [
      ...objectParameters(schema.params, 'path'),
      ...objectParameters(schema.querystring, 'query'),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(schema.response ?? {})) {
      responses[status] = { description: `HTTP ${status}`, content: { 'application/json': { schema: toJson(response, 'output') } } };
    }
    responses['default'] = { description: 'error', content: { 'application/json': { schema: toJson(errorSchema, 'output') } } };
    if (schema.websocket) responses['101'] = { description: `Switching Protocols (WebSocket, subprotocol ${WS_PROTOCOL}). ${schema.websocket}` };
    const operation = {
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(schema.body ? { requestBody: { content: { 'application/json': { schema: toJson(schema.body, 'input') } } } } : {}),
      ...(schema.auth ? { security: schema.websocket ? WEBSOCKET_SECURITY : HTTP_SECURITY } : {}),
      ...(schema.websocket ? { 'x-websocket': { subprotocol: WS_PROTOCOL, frames: schema.websocket } } : {}),
      responses,
    };
    for (const method of methods) (paths[path] ??= {})[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        browserSession: {
          type: 'apiKey',
          in: 'cookie',
          name: SESSION_COOKIE,
          description: `The web UI's sign-in. Requests other than GET/HEAD/OPTIONS also need the ${CSRF_HEADER} header from GET /ui/auth/session.`,
        },
        websocketBearer: {
          type: 'apiKey',
          in: 'header',
          name: 'Sec-WebSocket-Protocol',
          description: `WebSockets: offer "${WS_PROTOCOL}, ${WS_BEARER_PREFIX}<base64url of the bearer token>"; the server answers "${WS_PROTOCOL}". Never in the URL.`,
        },
      },
    },
    paths,
  };
}

function objectParameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const json = toJson(schema, 'input');
  const properties = (json['properties'] ?? {}) as Record<string, JsonSchema>;
  const required = new Set((json['required'] as string[] | undefined) ?? []);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || required.has(name),
    schema: property,
  }));
}
