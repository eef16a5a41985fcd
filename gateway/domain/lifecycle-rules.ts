import { MaiError } from '../errors.js';
import type { SessionRecord } from './types.js';

/**
 * When sessions end by themselves: the service config's `sessions:` settings as the
 * domain reads them. The lifecycle (lifecycle.ts) acts on them; create checks `--ttl`
 * against them; lists show the next deadline. Pure: no store, no clock of its own.
 */
export interface LifecycleSettings {
  /** A running session no client has used for this long is stopped or closed; undefined: never. */
  readonly idleTimeoutSeconds?: number;
  readonly idleAction: 'stop' | 'close';
  /** The longest a session lives, and the most `--ttl` may ask for; undefined: no limit. */
  readonly maxLifetimeSeconds?: number;
  /** How long before its lifetime ends an attached terminal is warned. */
  readonly warnBeforeSeconds: number;
}

/** The user's own machine: nothing ends by itself (a `--ttl` still does). */
export const NO_LIFECYCLE: LifecycleSettings = { idleAction: 'stop', warnBeforeSeconds: 300 };

/** What the lifecycle will do next to a session, and when. */
export interface Deadline {
  /** ISO 8601. */
  readonly at: string;
  readonly reason: 'idle' | 'lifetime';
  readonly action: 'stop' | 'close';
}

/**
 * A `--ttl` over the server's maximum lifetime is QUOTA_EXCEEDED, for admins too: the
 * lifecycle would end the session at the maximum anyway.
 */
export function checkTtl(ttlSeconds: number | undefined, settings: LifecycleSettings): void {
  const max = settings.maxLifetimeSeconds;
  if (ttlSeconds !== undefined && max !== undefined && ttlSeconds > max) {
    throw new MaiError('QUOTA_EXCEEDED', `--ttl ${ttlSeconds}s is over this server's maximum session lifetime of ${max}s`);
  }
}

/** A new session's lifetime end: `ttlSeconds` if asked (see `checkTtl`), else the maximum; undefined when neither bounds it. */
export function lifetimeEnd(created: Date, ttlSeconds: number | undefined, settings: LifecycleSettings): string | undefined {
  checkTtl(ttlSeconds, settings);
  const seconds = ttlSeconds ?? settings.maxLifetimeSeconds;
  return seconds === undefined ? undefined : new Date(created.getTime() + seconds * 1000).toISOString();
}

/** When a client last used the session (rows older than the lifecycle: its creation). */
export function lastActive(session: SessionRecord): string {
  return session.lastActiveAt ?? session.createdAt;
}

/**
 * The session's next deadline: its lifetime end (the stored one, or the server's current
 * maximum if that came down since), or, for a running session, its idle deadline counted
 * from its last activity; the earlier wins. Null: nothing will end it.
 */
export function nextDeadline(session: SessionRecord, settings: LifecycleSettings): Deadline | null {
  const candidates: Deadline[] = [];
  const end = lifetimeDeadline(session, settings);
  if (end !== undefined) candidates.push({ at: end, reason: 'lifetime', action: 'close' });
  const idle = session.status === 'running' ? plus(lastActive(session), settings.idleTimeoutSeconds) : undefined;
  if (idle !== undefined) candidates.push({ at: idle, reason: 'idle', action: settings.idleAction });
  return candidates.sort((a, b) => Date.parse(a.at) - Date.parse(b.at))[0] ?? null;
}

/** When the session's lifetime ends: its own end, or the server's current maximum if that came down since. */
export function lifetimeDeadline(session: SessionRecord, settings: LifecycleSettings): string | undefined {
  const ends = [session.expiresAt, plus(session.createdAt, settings.maxLifetimeSeconds)].filter((t): t is string => t !== undefined);
  return ends.sort((a, b) => Date.parse(a) - Date.parse(b))[0];
}

function plus(iso: string, seconds: number | undefined): string | undefined {
  return seconds === undefined ? undefined : new Date(Date.parse(iso) + seconds * 1000).toISOString();
}
