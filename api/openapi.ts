import type { FastifyInstance, RouteOptions } from 'fastify';
import { z } from 'zod';
import { errorSchema } from './schemas.js';

/** The keys of a route's `schema` that mai uses; all of them zod schemas, plus words for humans. */
export interface RouteSchema {
  summary?: string;
  /** True when the route needs `Authorization: Bearer`. */
  auth?: boolean;
  body?: z.ZodType;
  querystring?: z.ZodType;
  params?: z.ZodType;
  response?: Record<number, z.ZodType>;
}

declare module 'fastify' {
  interface FastifySchema {
    /** One line for /openapi.json. */
    summary?: string;
    /** Documents that the route needs `Authorization: Bearer` (enforced by `requireAuth`, not by this flag). */
    auth?: boolean;
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
  let document: JsonSchema | null = null;
  app.get('/openapi.json', async () => (document ??= build(routes, info)));
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
    const operation = {
      ...(schema.summary ? { summary: schema.summary } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(schema.body ? { requestBody: { content: { 'application/json': { schema: toJson(schema.body, 'input') } } } } : {}),
      ...(schema.auth ? { security: [{ bearer: [] }] } : {}),
      responses,
    };
    for (const method of methods) (paths[path] ??= {})[method.toLowerCase()] = operation;
  }
  return {
    openapi: '3.1.0',
    info,
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
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
