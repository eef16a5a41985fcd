import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ContainerBackend } from '../backend/backend.js';
import type { Driver, DriverCatalog } from './driver-catalog.js';

export type Progress = (line: string) => void;

/** Label on every driver image: the digest of what it was built from (`driverDigest`). */
export const LABEL_DRIVER_DIGEST = 'mai.driver-digest';

/** Debian's folder of CAs a machine trusts beyond the bundle (a TLS-inspecting proxy's, a company's). */
const HOST_EXTRA_CA_DIR = '/usr/local/share/ca-certificates';

/**
 * Build arguments every driver build gets on this machine: `MAI_EXTRA_CA`, the PEMs of
 * the CAs the machine trusts beyond Debian's bundle, so that installers inside the
 * build (apt, npm) trust what the machine trusts (drivers/base/Dockerfile).
 */
export function hostBuildArgs(dir = HOST_EXTRA_CA_DIR): Record<string, string> {
  if (!existsSync(dir)) return {};
  const pems = readdirSync(dir)
    .filter((file) => file.endsWith('.crt'))
    .sort()
    .map((file) => readFileSync(join(dir, file), 'utf8').trim());
  return pems.length ? { MAI_EXTRA_CA: pems.join('\n') } : {};
}

const digests = new WeakMap<Driver, string>();

/**
 * What a driver image is built from, as one digest: every file of its folder (names
 * and bytes), the digest of the mai driver it is built FROM, and the build arguments.
 * An image whose label differs was built from something else (an older mai): stale.
 * Computed once per driver per process.
 */
export function driverDigest(catalog: DriverCatalog, driver: Driver, buildArgs: Record<string, string>): string {
  const known = digests.get(driver);
  if (known) return known;
  const hash = createHash('sha256');
  const parent = catalog.parentOf(driver);
  hash.update(`parent\0${parent ? driverDigest(catalog, parent, buildArgs) : ''}\0`);
  for (const [key, value] of Object.entries(buildArgs).sort(([a], [b]) => a.localeCompare(b))) hash.update(`arg\0${key}\0${value}\0`);
  for (const file of filesBelow(driver.dir)) {
    hash.update(`file\0${relative(driver.dir, file)}\0`);
    hash.update(readFileSync(file));
  }
  const digest = hash.digest('hex');
  digests.set(driver, digest);
  return digest;
}

function filesBelow(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .sort((a, b) => a.name.localeCompare(b.name))
    .flatMap((entry) => {
      const path = join(dir, entry.name);
      return entry.isDirectory() ? filesBelow(path) : entry.isFile() ? [path] : [];
    });
}

/**
 * Builds a driver's image from its folder, labelled with its digest, building the mai
 * driver it is FROM first when that image is missing or stale (or always, with
 * `rebuildParents`).
 */
export async function buildDriver(
  backend: ContainerBackend,
  catalog: DriverCatalog,
  driver: Driver,
  onProgress: Progress,
  options: { rebuildParents?: boolean; buildArgs?: Record<string, string> } = {},
): Promise<void> {
  const buildArgs = options.buildArgs ?? {};
  const parent = catalog.parentOf(driver);
  if (parent) {
    if (options.rebuildParents) await buildDriver(backend, catalog, parent, onProgress, options);
    else await ensureDriverImage(backend, catalog, parent, onProgress, buildArgs);
  }
  onProgress(`building ${driver.image} from ${driver.dir}`);
  // Build args a Dockerfile does not declare are only warned about by the engine, so all layers get all of them.
  await backend.buildImage({
    contextDir: driver.dir,
    tag: driver.image,
    onProgress,
    buildArgs,
    labels: { [LABEL_DRIVER_DIGEST]: driverDigest(catalog, driver, buildArgs) },
  });
}

/**
 * Builds the driver's image (and those it is built FROM) when the engine does not
 * have it, or has one mai built from other files (an upgrade of mai): says which.
 * An image without the digest label was not built by this mai (pulled, or an
 * operator's `drivers[].image`): it is used as it is.
 */
export async function ensureDriverImage(
  backend: ContainerBackend,
  catalog: DriverCatalog,
  driver: Driver,
  onProgress: Progress,
  buildArgs: Record<string, string>,
): Promise<void> {
  const labels = await backend.imageLabels(driver.image);
  if (labels && labels[LABEL_DRIVER_DIGEST] === undefined) return;
  if (labels?.[LABEL_DRIVER_DIGEST] === driverDigest(catalog, driver, buildArgs)) return;
  onProgress(
    labels
      ? `image ${driver.image} was built from other files than ${driver.dir}; rebuilding it`
      : `image ${driver.image} is missing; building it (first use of driver ${driver.manifest.name})`,
  );
  await buildDriver(backend, catalog, driver, onProgress, { buildArgs });
}
