import type { ExecProcess } from '../backend/backend.js';
import type { SessionService } from '../domain/session-service.js';
import type { Events } from '../domain/events.js';
import type { AgentForwarding } from './agent-forward.js';
import type { Traffic } from './bridge.js';
import type { SshIdentity } from './identity.js';

/** What every channel of one authenticated connection shares. */
export interface ConnectionContext {
  /** One id per connection, in every log and audit line. */
  id: string;
  identity: SshIdentity;
  sessions: SessionService;
  envAllow: readonly string[];
  /** How users reach this gateway, for usage text. */
  host: string;
  /** The event bus, scoped to this connection (its id, address and user). */
  events: Events;
  /** Processes this connection's channels started; whatever is left when the client goes is killed. */
  processes: Set<ExecProcess>;
  /** Counts the bytes the connection carries. */
  traffic: Traffic;
  /** `ssh -A`: the client's agent inside the sessions the connection reaches (when its channels asked for it). */
  agent: AgentForwarding;
}
