import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadYamlConfig } from '../config/load-yaml.js';
import { MaiError } from '../errors.js';
import { isDriverFolder } from './policy.js';
import { driverManifestSchema, type DriverManifest } from '../../drivers/driver-schema.js';

export const MANIFEST_FILE = 'mai-driver.yaml';

/** A driver ready to use: its manifest, the folder it was read from, the image it runs. */
export interface Driver {
  manifest: DriverManifest;
  dir: string;
  image: string;
  /** Extra environment defaults set by the operator (service config `drivers[].env`). */
  env: Record<string, string>;
}

/** Operator overrides from the service config's `drivers:` list. */
export interface DriverOverride {
  name: string;
  image?: string;
  env?: Record<string, string>;
}

/** Reads one driver folder; the manifest is validated with the one schema every driver uses. */
export function readDriver(dir: string, override?: DriverOverride): Driver {
  const file = join(dir, MANIFEST_FILE);
  if (!existsSync(file)) throw new MaiError('DRIVER_NOT_FOUND', `${dir}: no ${MANIFEST_FILE} there`);
  let manifest: DriverManifest;
  try {
    manifest = loadYamlConfig(driverManifestSchema, file, {});
  } catch (err) {
    if (err instanceof MaiError && err.code === 'CONFIG_INVALID') throw new MaiError('DRIVER_INVALID', err.message);
    throw err;
  }
  return {
    manifest,
    dir,
    image: override?.image ?? manifest.image ?? `mai/${manifest.name}:latest`,
    env: override?.env ?? {},
  };
}

/**
 * The drivers a process knows: every folder with a manifest under the built-in
 * drivers dir, plus extra folders (custom drivers from config). Read once, on
 * first use: a command that names no driver (`mai session list`) reads none.
 * The server reads them at start (`list()`), so a broken manifest stops it there.
 */
export class DriverCatalog {
  private loaded: Map<string, Driver> | null = null;

  constructor(
    private readonly builtInDir: string,
    private readonly extraDirs: string[] = [],
    private readonly overrides: DriverOverride[] = [],
  ) {}

  private get byName(): Map<string, Driver> {
    this.loaded ??= this.load();
    return this.loaded;
  }

  private load(): Map<string, Driver> {
    const byName = new Map<string, Driver>();
    const builtIns = readdirSync(this.builtInDir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(join(this.builtInDir, entry.name, MANIFEST_FILE)))
      .map((entry) => join(this.builtInDir, entry.name));
    for (const dir of [...builtIns, ...this.extraDirs]) {
      const driver = this.withOverride(readDriver(dir));
      const name = driver.manifest.name;
      if (byName.has(name)) throw new MaiError('DRIVER_INVALID', `${dir}: a driver named "${name}" already exists`);
      byName.set(name, driver);
    }
    return byName;
  }

  /** The operator's settings for this driver (service config `drivers:`), if any. */
  private withOverride(read: Driver): Driver {
    const override = this.overrides.find((o) => o.name === read.manifest.name);
    return override ? { ...read, image: override.image ?? read.image, env: override.env ?? {} } : read;
  }

  list(): Driver[] {
    return [...this.byName.values()].sort((a, b) => a.manifest.name.localeCompare(b.manifest.name));
  }

  /**
   * A driver by name or by folder path (`./my-driver`, `/abs/dir`): custom drivers on
   * the user's own machine. Never on a server's behalf (see `Policy.driverFolders`):
   * a path reads whatever folder it names.
   */
  resolve(ref: string, cwd = process.cwd()): Driver {
    return isDriverFolder(ref) ? readDriver(resolve(cwd, ref)) : this.get(ref);
  }

  /**
   * A driver of the catalog, by name only. Without custom folders, a built-in driver
   * is read alone from the folder named after it (reading every manifest costs a
   * create ~40 ms); `list()` reads them all, and checks that no two share a name.
   */
  get(ref: string): Driver {
    const own = join(this.builtInDir, ref);
    // Custom folders could name a driver like a built-in one: then everything is read, and that refused.
    if (!this.loaded && this.extraDirs.length === 0 && /^[a-z0-9][a-z0-9-]*$/.test(ref) && existsSync(join(own, MANIFEST_FILE))) {
      const read = this.withOverride(readDriver(own));
      if (read.manifest.name === ref) return read;
    }
    const driver = this.byName.get(ref);
    if (!driver) {
      const known = [...this.byName.keys()].join(', ');
      throw new MaiError('DRIVER_NOT_FOUND', `unknown driver "${ref}" (known: ${known})`);
    }
    return driver;
  }

  /** The driver whose image this driver's Dockerfile builds FROM, if it is one of ours. */
  parentOf(driver: Driver): Driver | null {
    const dockerfile = join(driver.dir, 'Dockerfile');
    if (!existsSync(dockerfile)) return null;
    const from = /^\s*FROM\s+(\S+)/im.exec(readFileSync(dockerfile, 'utf8'))?.[1];
    return this.list().find((d) => d !== driver && d.image === from) ?? null;
  }
}
