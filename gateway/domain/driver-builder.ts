import type { ContainerBackend } from '../backend/backend.js';
import type { Driver, DriverCatalog } from './driver-catalog.js';

export type Progress = (line: string) => void;

/**
 * Builds a driver's image from its folder, building the mai driver it is FROM
 * first when that image is missing (or always, with `rebuildParents`).
 */
export async function buildDriver(
  backend: ContainerBackend,
  catalog: DriverCatalog,
  driver: Driver,
  onProgress: Progress,
  options: { rebuildParents?: boolean; buildArgs?: Record<string, string> } = {},
): Promise<void> {
  const parent = catalog.parentOf(driver);
  if (parent && (options.rebuildParents || !(await backend.imageExists(parent.image)))) {
    await buildDriver(backend, catalog, parent, onProgress, options);
  }
  onProgress(`building ${driver.image} from ${driver.dir}`);
  // Build args a Dockerfile does not declare are only warned about by the engine, so all layers get all of them.
  await backend.buildImage({ contextDir: driver.dir, tag: driver.image, onProgress, ...(options.buildArgs ? { buildArgs: options.buildArgs } : {}) });
}

/** Builds the driver's image only if the engine does not have it yet; says so when it does. */
export async function ensureDriverImage(
  backend: ContainerBackend,
  catalog: DriverCatalog,
  driver: Driver,
  onProgress: Progress,
): Promise<void> {
  if (await backend.imageExists(driver.image)) return;
  onProgress(`image ${driver.image} is missing; building it (first use of driver ${driver.manifest.name})`);
  await buildDriver(backend, catalog, driver, onProgress);
}
