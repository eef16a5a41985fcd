import type { ExecProcess } from '../gateway/backend/backend.js';

/** The exec options that make a remote terminal match the local one. */
export function terminalSize(): { cols: number; rows: number } {
  return { cols: process.stdout.columns || 80, rows: process.stdout.rows || 24 };
}

/**
 * Joins a process in a session to this terminal and resolves with its exit code.
 * With a TTY: raw mode, resize on SIGWINCH, and our stdin's EOF is not passed on
 * (Docker would cut the output short). Without: stdin, stdout and stderr piped
 * as they are, EOF included. If this CLI is interrupted or hung up, the process
 * in the session is killed rather than left running.
 */
export async function attachTerminal(proc: ExecProcess, tty: boolean): Promise<number> {
  const { stdin, stdout, stderr } = process;
  const onResize = () => void proc.resize(stdout.columns || 80, stdout.rows || 24).catch(() => {});
  const onSignal = () => {
    void proc.kill().finally(() => process.exit(130));
  };
  const signals: NodeJS.Signals[] = tty ? ['SIGHUP', 'SIGTERM'] : ['SIGINT', 'SIGHUP', 'SIGTERM'];
  for (const signal of signals) process.on(signal, onSignal);

  if (tty) {
    stdin.setRawMode(true);
    stdin.on('data', (chunk) => proc.stdin.write(chunk));
    stdout.on('resize', onResize);
    proc.stdout.pipe(stdout, { end: false });
  } else {
    stdin.pipe(proc.stdin);
    proc.stdout.pipe(stdout, { end: false });
    proc.stderr.pipe(stderr, { end: false });
  }
  stdin.resume();
  try {
    return await proc.wait();
  } finally {
    for (const signal of signals) process.off(signal, onSignal);
    stdout.off('resize', onResize);
    if (tty) stdin.setRawMode(false);
    stdin.unpipe();
    stdin.pause();
  }
}
