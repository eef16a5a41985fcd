import type { FastifyPluginAsync } from 'fastify';
import type { z } from 'zod';
import type { Driver, DriverCatalog } from '../../gateway/domain/driver-catalog.js';
import type { AuthService } from '../../gateway/auth/auth-service.js';
import { requireAuth } from '../principal.js';
import { driverListSchema, driverParamsSchema, driverSchema } from '../schemas.js';

export interface DriverRoutesOptions {
  drivers: DriverCatalog;
  auth: AuthService;
}

/** /drivers: what sessions can run. Defaults of sensitive variables are never shown. */
export const driverRoutes: FastifyPluginAsync<DriverRoutesOptions> = async (app, { drivers, auth }) => {
  requireAuth(app, auth);

  app.get('/drivers', { schema: { summary: 'Available drivers', auth: true, response: { 200: driverListSchema } } }, async () => ({
    drivers: drivers.list().map(driverView),
  }));

  app.get<{ Params: z.infer<typeof driverParamsSchema> }>(
    '/drivers/:name',
    { schema: { summary: 'One driver', auth: true, params: driverParamsSchema, response: { 200: driverSchema } } },
    async (request) => driverView(drivers.get(request.params.name)),
  );
};

function driverView(driver: Driver): z.infer<typeof driverSchema> {
  const m = driver.manifest;
  return {
    name: m.name,
    description: m.description,
    version: m.version,
    image: driver.image,
    environment: m.environment.map((v) => ({
      name: v.name,
      description: v.description,
      required: v.required,
      sensitive: v.sensitive,
      ...(v.default !== undefined && !v.sensitive ? { default: v.default } : {}),
    })),
    ports: m.ports,
    volumes: m.volumes,
  };
}
