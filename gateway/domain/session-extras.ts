import { createHash } from 'node:crypto';
import type { Driver } from './driver-catalog.js';
import { LABEL_DRIVER, LABEL_OWNER, type ContainerFile } from '../backend/backend.js';
import { SESSION_USER_ID } from './project-service.js';
import type { VolumeMount } from './types.js';

/** Where sensitive driver variables land; mai-tool-env exports them into the tool's process only. */
export const SECRET_ENV_DIR = '/run/mai/secrets/env';

/** Splits resolved env into plain variables and the driver's sensitive ones (API keys). */
export function splitSensitiveEnv(driver: Driver, env: Record<string, string>): { env: Record<string, string>; secret: Record<string, string> } {
  const sensitive = new Set(driver.manifest.environment.filter((v) => v.sensitive).map((v) => v.name));
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) (sensitive.has(key) ? secret : plain)[key] = value;
  return { env: plain, secret };
}

/** One 0400 file per secret variable, owned by the session user (readable by it alone). */
export function secretEnvFiles(secret: Record<string, string>): ContainerFile[] {
  return Object.entries(secret).map(([name, value]) => ({
    path: `${SECRET_ENV_DIR}/${name}`,
    content: value,
    mode: 0o400,
    uid: SESSION_USER_ID,
    gid: SESSION_USER_ID,
  }));
}

/**
 * The named volumes of a driver's `persist` paths for one owner, stable, so the same
 * user gets the same settings in every session of that driver. They are not removed
 * when a session closes (that is their point); `docker volume rm` removes them.
 * Labelled with their owner; `checkVolumesOwned` refuses one labelled for another.
 */
export function persistVolumes(owner: string, driver: Driver): VolumeMount[] {
  return driver.manifest.persist.map((entry) => ({
    source: persistVolumeName(owner, driver.manifest.name, entry.path),
    target: entry.path,
    readOnly: false,
    labels: { [LABEL_OWNER]: owner, [LABEL_DRIVER]: driver.manifest.name },
  }));
}

/**
 * `mai-persist-<owner>-<driver>-<digest>`: the readable parts are for people reading
 * `docker volume ls`; the name's identity is the digest of (owner, driver, path), each
 * part length-delimited, so no two triples share a name ("-" is both separator and a
 * legal character of user and driver names: `alice-` + `claude-code` and `alice` +
 * `-claude-code` must not meet).
 */
export function persistVolumeName(owner: string, driver: string, path: string): string {
  const digest = createHash('sha256').update(JSON.stringify([owner, driver, path])).digest('hex').slice(0, 24);
  const slug = (text: string) => text.replace(/[^a-zA-Z0-9_.-]+/g, '-').replace(/^[-.]+|-+$/g, '').slice(0, 32);
  return `mai-persist-${slug(owner) || 'user'}-${slug(driver)}-${digest}`;
}
