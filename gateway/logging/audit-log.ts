import { closeSync, openSync, writeSync } from 'node:fs';
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
 * Lines go to the file synchronously: a line is on disk (in the page cache) before the
 * fact's caller goes on, so a crash right after an action still has it audited, and
 * whoever reads the file after an action finds its line.
 */
export function openAuditLog(target: string): AuditLog {
  const standard = target === 'stdout' ? process.stdout : target === 'stderr' ? process.stderr : null;
  if (standard) return { listener: (event) => void standard.write(auditLine(event)), close: async () => {} };
  let fd: number | null = openSync(target, 'a', 0o600);
  return {
    listener: (event) => {
      if (fd !== null) writeSync(fd, auditLine(event));
    },
    async close() {
      if (fd !== null) closeSync(fd);
      fd = null;
    },
  };
}
