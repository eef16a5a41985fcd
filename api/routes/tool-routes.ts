import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import type { ToolSettings } from '../../gateway/domain/tool-settings.js';
import { principalOf, requireAuth } from '../principal.js';
import { mcpInputSchema, mcpListSchema, mcpViewSchema, providerInputSchema, providerListSchema, providerViewSchema, toolNameParamsSchema } from '../schemas.js';

export interface ToolRoutesOptions {
  tools: ToolSettings;
  auth: AuthService;
}

type Params = { Params: z.infer<typeof toolNameParamsSchema> };

/**
 * /providers and /mcp: thin over ToolSettings. A user sees the server's definitions and
 * her own, never a key or a header value; she adds and removes only her own. Secrets come
 * in plain or sealed to GET /projects/key (what `mai -r NAME provider add` does).
 */
export const toolRoutes: FastifyPluginAsync<ToolRoutesOptions> = async (app, { tools, auth }) => {
  requireAuth(app, auth);

  app.get(
    '/providers',
    { schema: { summary: "Model providers the caller may name in --model (the server's and her own)", auth: true, response: { 200: providerListSchema } } },
    async (request) => ({ providers: await tools.listProviders(principalOf(request).actor) }),
  );

  app.post<{ Body: z.input<typeof providerInputSchema> }>(
    '/providers',
    { schema: { summary: 'Add (or replace) one of your own model providers', auth: true, body: providerInputSchema, response: { 200: providerViewSchema, 201: providerViewSchema } } },
    async (request, reply) => {
      const { provider, created } = await tools.saveProvider(principalOf(request).actor, request.body);
      return reply.code(created ? 201 : 200).send(provider);
    },
  );

  app.delete<Params>(
    '/providers/:name',
    { schema: { summary: 'Remove one of your own model providers and its key', auth: true, params: toolNameParamsSchema } },
    async (request, reply) => {
      await tools.removeProvider(principalOf(request).actor, request.params.name);
      return reply.code(204).send();
    },
  );

  app.get(
    '/mcp',
    { schema: { summary: "MCP servers the caller may name in --mcp (the server's and her own)", auth: true, response: { 200: mcpListSchema } } },
    async (request) => ({ servers: await tools.listMcpServers(principalOf(request).actor) }),
  );

  app.post<{ Body: z.input<typeof mcpInputSchema> }>(
    '/mcp',
    { schema: { summary: 'Add (or replace) one of your own MCP servers', auth: true, body: mcpInputSchema, response: { 200: mcpViewSchema, 201: mcpViewSchema } } },
    async (request, reply) => {
      const { server, created } = await tools.saveMcpServer(principalOf(request).actor, request.body);
      return reply.code(created ? 201 : 200).send(server);
    },
  );

  app.delete<Params>(
    '/mcp/:name',
    { schema: { summary: 'Remove one of your own MCP servers', auth: true, params: toolNameParamsSchema } },
    async (request, reply) => {
      await tools.removeMcpServer(principalOf(request).actor, request.params.name);
      return reply.code(204).send();
    },
  );
};
