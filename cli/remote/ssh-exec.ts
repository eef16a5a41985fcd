import { spawn } from 'node:child_process';
import { MaiError } from '../../gateway/errors.js';
import type { Remote } from './remotes.js';

/** POSIX single quotes: the gateway hands the command line to a shell, as sshd would. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/**
 * Runs the system `ssh` with the remote's written config (`-F`), so what happens is
 * exactly what plain `ssh mai-NAME ...` does for the user. ssh owns the terminal:
 * stdio is inherited, and our own SIGINT is ignored meanwhile (the terminal sends it
 * to ssh too, which decides). Resolves with ssh's exit code (255: ssh's own failure).
 */
export function execSsh(remote: Remote, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', ['-F', remote.paths.sshConfig, ...args], { stdio: 'inherit' });
    const ignore = () => undefined;
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', ignore);
    process.on('SIGTERM', forward);
    process.on('SIGHUP', forward);
    const done = () => {
      process.off('SIGINT', ignore);
      process.off('SIGTERM', forward);
      process.off('SIGHUP', forward);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      done();
      reject(new MaiError('INPUT_INVALID', `cannot run ssh (${err.code ?? 'error'}); install the OpenSSH client`, { cause: err }));
    });
    child.on('close', (code, signal) => {
      done();
      resolve(code ?? (signal ? 128 + signalNumber(signal) : 255));
    });
  });
}

function signalNumber(signal: NodeJS.Signals): number {
  return ({ SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 1;
}
