/**
 * Terminals and signals, as every front end (SSH pty-req and window-change, the
 * browser terminal, the local CLI) and the backend see them: one clamp, one TERM
 * rule, one signal table.
 */

/** Terminal sizes outside 1..4096 are nonsense or hostile (RFC 4254 §6.2 leaves them unbounded). */
export const MAX_TERMINAL_SIZE = 4096;

/** A terminal dimension clamped to 1..4096; anything not a positive number is `fallback`. */
export function clampTerminal(value: number, fallback: number): number {
  if (!Number.isFinite(value) || value < 1) return fallback;
  return Math.min(Math.floor(value), MAX_TERMINAL_SIZE);
}

/** TERM values are passed into the container; keep them to what a terminfo name can be. */
export function sanitizeTerm(term: string | undefined): string {
  return term && /^[A-Za-z0-9._+-]{1,64}$/.test(term) ? term : 'xterm-256color';
}

/**
 * Signals a process in a session may be sent, by name without SIG: RFC 4254 §6.10's
 * list (what SSH clients send) plus job control, which a terminal user expects.
 */
export const SIGNAL_NAMES: ReadonlySet<string> = new Set([
  'ABRT', 'ALRM', 'FPE', 'HUP', 'ILL', 'INT', 'KILL', 'PIPE', 'QUIT', 'SEGV', 'TERM', 'USR1', 'USR2',
  'CONT', 'STOP', 'TSTP', 'TTIN', 'TTOU', 'WINCH',
]);

/**
 * Resizes `terminal` to the size asked for last, one resize at a time. Each resize is an
 * engine call: sent as they come, a burst (a window dragged, a client's storm of
 * window-change requests) raced, and the terminal ended at whichever the engine applied
 * last, not the last asked for (found by the SSH fuzzer); it also cost one engine call
 * per request. Sizes asked for while one is applied are skipped, all but the newest.
 */
export function resizeToLatest(terminal: { resize(cols: number, rows: number): Promise<void> }): (cols: number, rows: number) => void {
  let wanted: { cols: number; rows: number } | null = null;
  let busy = false;
  const next = (): void => {
    busy = wanted !== null;
    if (!wanted) return;
    const { cols, rows } = wanted;
    wanted = null;
    void terminal.resize(cols, rows).catch(() => {}).finally(next);
  };
  return (cols, rows) => {
    wanted = { cols, rows };
    if (!busy) next();
  };
}
