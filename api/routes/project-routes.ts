import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import type { ProjectService } from '../../gateway/domain/project-service.js';
import { principalOf, requireAuth } from '../principal.js';
import {
  listQuerySchema,
  projectInputSchema,
  projectKeySchema,
  projectListSchema,
  projectOwnerQuerySchema,
  projectParamsSchema,
  projectSchema,
  projectUpdateSchema,
} from '../schemas.js';

export interface ProjectRoutesOptions {
  projects: ProjectService;
  auth: AuthService;
}

type Params = { Params: z.infer<typeof projectParamsSchema>; Querystring: z.infer<typeof projectOwnerQuerySchema> };

/**
 * /projects: thin over ProjectService. `{id}` is the normalized repository id
 * (`github.com/owner/repo`, URL-encoded). Another user's project is 404; admins
 * see everyone's with `?all=true` and reach one with `?owner=NAME`.
 */
export const projectRoutes: FastifyPluginAsync<ProjectRoutesOptions> = async (app, { projects, auth }) => {
  requireAuth(app, auth);

  app.get(
    '/projects/key',
    { schema: { summary: "The server's X25519 public key, to seal secrets before they leave the client", auth: true, response: { 200: projectKeySchema } } },
    async () => ({ algorithm: 'x25519-sealedbox' as const, publicKey: projects.publicKey() }),
  );

  app.get<{ Querystring: z.infer<typeof listQuerySchema> }>(
    '/projects',
    { schema: { summary: "The caller's projects (admins: ?all=true)", auth: true, querystring: listQuerySchema, response: { 200: projectListSchema } } },
    async (request) => ({ projects: await projects.list(principalOf(request).actor, { all: request.query.all }) }),
  );

  app.post<{ Body: z.infer<typeof projectInputSchema> }>(
    '/projects',
    { schema: { summary: 'Add a project (or replace its credentials)', auth: true, body: projectInputSchema, response: { 200: projectSchema, 201: projectSchema } } },
    async (request, reply) => {
      const { project, created } = await projects.save(principalOf(request).actor, request.body);
      return reply.code(created ? 201 : 200).send(project);
    },
  );

  app.get<Params>(
    '/projects/:id',
    { schema: { summary: 'One project', auth: true, params: projectParamsSchema, querystring: projectOwnerQuerySchema, response: { 200: projectSchema } } },
    async (request) => projects.get(principalOf(request).actor, request.params.id, request.query.owner),
  );

  app.put<Params & { Body: z.infer<typeof projectUpdateSchema> }>(
    '/projects/:id',
    { schema: { summary: 'Create or replace a project', auth: true, params: projectParamsSchema, body: projectUpdateSchema, response: { 200: projectSchema, 201: projectSchema } } },
    async (request, reply) => {
      // Without a URL the id names the repository (a `host:port/...` id as https, or it would read as scp-like ssh).
      const { url, ...rest } = request.body;
      const { project, created } = await projects.save(principalOf(request).actor, { url: url ?? (request.params.id.includes(':') ? `https://${request.params.id}` : request.params.id), ...rest }, request.params.id);
      return reply.code(created ? 201 : 200).send(project);
    },
  );

  app.delete<Params>(
    '/projects/:id',
    { schema: { summary: 'Remove a project and its credentials', auth: true, params: projectParamsSchema, querystring: projectOwnerQuerySchema } },
    async (request, reply) => {
      await projects.remove(principalOf(request).actor, request.params.id, request.query.owner);
      return reply.code(204).send();
    },
  );
};
