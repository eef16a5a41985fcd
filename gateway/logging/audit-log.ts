import { createWriteStream } from 'node:fs';
import type { DomainEvent, EventListener } from '../domain/events.js';

/** An event as an audit record, `{time, level, event, audit: true, ...fields}`: the audit line's and Fluentd's shape. */
export function auditRecord(event: DomainEvent): Record<string, unknown> {
  return { time: event.time, level: event.level, event: event.type, audit: true, ...event.fields };
}

/** One JSON line per event, as the operator's audit trail. */
export function auditLine(event: DomainEvent): string {
  return `${JSON.stringify(auditRecord(event))}\n`;
}

export interface AuditLog {
  listener: EventListener;
  /** Flushes and closes the file (stdout and stderr are left open). Idempotent. */
  close(): Promise<void>;
}

/**
 * The audit log (`logging.audit`): a file of its own (appended, 0600), or a standard
 * stream (stdout, with the operational log). A subscriber of the event bus like any other.
 */
export function openAuditLog(target: string): AuditLog {
  const standard = target === 'stdout' ? process.stdout : target === 'stderr' ? process.stderr : null;
  if (standard) return { listener: (event) => void standard.write(auditLine(event)), close: async () => {} };
  const stream = createWriteStream(target, { flags: 'a', mode: 0o600 });
  let closing: Promise<void> | null = null;
  return {
    listener: (event) => void stream.write(auditLine(event)),
    close() {
      closing ??= new Promise<void>((resolve) => stream.end(resolve));
      return closing;
    },
  };
}
