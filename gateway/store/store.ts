import type { SessionRecord, SessionStatus } from '../domain/types.js';
import type { AuthStore } from './auth-store.js';
import type { ProjectStore } from './project-store.js';
import type { ToolSettingsStore } from './tool-settings-store.js';

/** Fields of a session that change after creation. */
export interface SessionPatch {
  status?: SessionStatus;
  containerId?: string | null;
}

/**
 * Persistence for the domain. Two implementations (SQLite, PostgreSQL) share one
 * set of migrations and one conformance suite.
 *
 * Lifecycle: obtained from `openStore()` already migrated and ready; `close()` is
 * idempotent. Errors are MaiError (`STORE_FAILED`, `SESSION_NAME_TAKEN`).
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** Logins, tokens, certificates and login flows of the REST API's identity side. */
  readonly auth: AuthStore;
  /** Project repositories and their (encrypted) credentials. */
  readonly projects: ProjectStore;
  /** Users' own model providers and MCP servers (secrets encrypted). */
  readonly tools: ToolSettingsStore;
  /** Inserts a new session; `SESSION_NAME_TAKEN` when the owner already has that name (or id). */
  insertSession(session: SessionRecord): Promise<void>;
  /** Updates status/containerId and `updatedAt`; returns the new row, or null if it is gone. */
  updateSession(id: string, patch: SessionPatch): Promise<SessionRecord | null>;
  getSession(id: string): Promise<SessionRecord | null>;
  findSessionByName(owner: string, name: string): Promise<SessionRecord | null>;
  /** All sessions, or one owner's; oldest first. */
  listSessions(owner?: string): Promise<SessionRecord[]>;
  /** Returns true when a row was deleted. */
  deleteSession(id: string): Promise<boolean>;
  /** Records that a client used the session at `at` (the lifecycle's heartbeat); `updatedAt` is left alone. */
  touchSession(id: string, at: string): Promise<void>;
  /**
   * Claims the session for one lifecycle action (stop, close) among processes sharing the
   * store: when its last activity is still `seen` (as the caller read it; undefined = never
   * recorded), sets it to `at` and returns true. Of several racing claims, exactly one wins.
   */
  claimSession(id: string, seen: string | undefined, at: string): Promise<boolean>;
  /** A random id made once per database; it labels this store's containers on a shared engine. */
  instanceId(): Promise<string>;
  close(): Promise<void>;
}
