import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventFields, EventLevel, EventType } from '../domain/events.js';

/** What the Langfuse tracer hands its SDK: a trace upsert, or an event in a trace. */
export type TraceOp =
  | {
      kind: 'trace';
      body: { id: string; name: string; userId: string; sessionId: string; timestamp?: Date; metadata?: EventFields; tags?: string[]; output?: EventFields };
    }
  | {
      kind: 'event';
      body: { id: string; traceId: string; name: string; startTime: Date; level: LangfuseLevel; metadata: EventFields };
    };

type LangfuseLevel = 'DEFAULT' | 'WARNING' | 'ERROR';

/** The facts of a session's life that its trace records. */
const SESSION_FACTS: ReadonlySet<EventType> = new Set<EventType>([
  'session.created',
  'session.started',
  'session.connect',
  'channel.command',
  'channel.exit',
  'forward.open',
  'session.closed',
  'reconcile.marked_missing',
]);

const LEVELS: Record<EventLevel, LangfuseLevel> = { info: 'DEFAULT', warn: 'WARNING', error: 'ERROR' };

export const TRACE_NAME = 'mai session';

/**
 * One Langfuse trace per mai session: its id is the session id (so every server
 * process, before and after a restart, adds to the same trace), `userId` its owner,
 * `sessionId` the session id; each fact of the session is an event in it, with the
 * fact's fields (who, which connection, which command) as metadata.
 */
export function traceOps(event: DomainEvent, newId: () => string = randomUUID): TraceOp[] {
  const session = event.fields.session;
  if (!SESSION_FACTS.has(event.type) || typeof session !== 'string') return [];
  const ops: TraceOp[] = [];
  const owner = event.fields.owner;
  // Facts that name the owner (re)state the trace's user; Langfuse upserts by id.
  if (typeof owner === 'string') {
    const created = event.type === 'session.created';
    const driver = typeof event.fields.driver === 'string' ? event.fields.driver : undefined;
    ops.push({
      kind: 'trace',
      body: {
        id: session,
        name: TRACE_NAME,
        userId: owner,
        sessionId: session,
        ...(created ? { timestamp: new Date(event.time), metadata: safeFields(event.fields), ...(driver ? { tags: [driver] } : {}) } : {}),
        ...(event.type === 'session.closed' ? { output: safeFields(event.fields) } : {}),
      },
    });
  }
  ops.push({
    kind: 'event',
    // A fixed id: a batch sent again after a failure updates the same event rather than adding one.
    body: { id: newId(), traceId: session, name: event.type, startTime: new Date(event.time), level: LEVELS[event.level], metadata: safeFields(event.fields) },
  });
  return ops;
}

/**
 * The SDK reads any string starting with `data:` as media to upload; a typed
 * command may start so. A leading space keeps it text.
 */
function safeFields(fields: EventFields): EventFields {
  return Object.fromEntries(Object.entries(fields).map(([key, value]) => [key, typeof value === 'string' && value.startsWith('data:') ? ` ${value}` : value]));
}
