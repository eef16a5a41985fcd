/**
 * Fault injection for the crash-consistency test (test/reliability/): a named step where
 * `mai serve` can be made to die abruptly, with no cleanup at all, as under `kill -9`.
 * Armed only by the process entry (`mai serve` reads `MAI_CRASH_AT`); unarmed, each
 * `crashPoint()` is one comparison. Nothing else reads or sets it.
 */

/** Every step a create or a close can be killed at, in the order they are reached. */
export const CRASH_POINTS = [
  /** The row is in (`creating`, leased), nothing on the engine yet. */
  'create.after-row',
  /** The container exists (not started); the row may not know its id yet. */
  'create.after-container',
  /** The container runs; the row still says `creating`. */
  'create.after-start',
  /** The row says `closing`; the container still exists. */
  'close.after-mark',
  /** The container is gone; the row (and any sidecars) remain. */
  'close.after-container',
] as const;

export type CrashPoint = (typeof CRASH_POINTS)[number];

/** How the process dies: `exit` is `kill -9` of itself; `stop` freezes it (SIGSTOP), as a hung host whose lease runs out. */
export type CrashMode = 'exit' | 'stop';

let armed: { point: CrashPoint; mode: CrashMode } | null = null;

/** Arms `point` for this process (its entry only). Unknown names are refused, so a typo in a test fails loudly. */
export function armCrashPoint(point: string, mode: CrashMode = 'exit'): void {
  if (!(CRASH_POINTS as readonly string[]).includes(point)) throw new Error(`unknown crash point "${point}"; known: ${CRASH_POINTS.join(', ')}`);
  armed = { point: point as CrashPoint, mode };
}

/** Dies here if this step is armed. */
export function crashPoint(point: CrashPoint): void {
  if (armed?.point !== point) return;
  process.stderr.write(`mai: crash point ${point} (${armed.mode})\n`);
  // SIGKILL of itself: no exit handlers, no finally blocks, no flushing, exactly as a kill -9.
  process.kill(process.pid, armed.mode === 'stop' ? 'SIGSTOP' : 'SIGKILL');
}
