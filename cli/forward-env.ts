import { join } from 'node:path';
import { DriverCatalog } from '../gateway/domain/driver-catalog.js';
import { packageRoot } from '../drivers/package-root.js';
import { MaiError } from '../gateway/errors.js';
import type { CliContext } from './context.js';

/**
 * `--forward-env`: the values, from the user's own environment, of the variables
 * the driver's manifest marks `forward: true` (API keys, model names). The
 * manifest comes from this CLI's catalog, which ships the same built-in drivers
 * as the server. Only the names are ever printed; sensitive values then travel
 * like every secret (files in the session, never its environment).
 */
export function forwardedEnv(ctx: CliContext, driverRef: string | undefined): Record<string, string> {
  const ref = driverRef ?? ctx.config.defaultDriver;
  let manifest;
  try {
    manifest = new DriverCatalog(join(packageRoot(), 'drivers'), ctx.config.drivers).resolve(ref).manifest;
  } catch (err) {
    throw new MaiError('INPUT_INVALID', `--forward-env: driver "${ref}" is not known to this CLI, so which variables to forward is unknown (pass them with -e)`, { cause: err });
  }
  const env: Record<string, string> = {};
  for (const variable of manifest.environment) {
    const value = ctx.env[variable.name];
    if (variable.forward && value !== undefined && value !== '') env[variable.name] = value;
  }
  return env;
}
