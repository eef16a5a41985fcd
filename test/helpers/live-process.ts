import { spawn } from 'node:child_process';
import type { RunResult } from './run.js';

/** A process whose output a test reads while it runs (a login that prints a URL, then waits). */
export interface LiveProcess {
  /** Resolves with the first match of `pattern` in stderr+stdout so far or to come. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  done: Promise<RunResult>;
  kill(): void;
}

export function spawnLive(command: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): LiveProcess {
  const child = spawn(command, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  let seen = '';
  let exited = false;
  const waiters = new Set<() => void>();
  const onData = (into: Buffer[]) => (b: Buffer) => {
    into.push(b);
    seen += b.toString();
    for (const check of waiters) check();
  };
  child.stdout.on('data', onData(out));
  child.stderr.on('data', onData(err));
  child.stdin.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      exited = true;
      for (const check of waiters) check();
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, signal, stdout: stdoutBytes.toString(), stderr: Buffer.concat(err).toString(), stdoutBytes });
    });
  });
  return {
    done,
    kill: () => child.kill('SIGKILL'),
    waitFor(pattern, waitMs = 30_000) {
      return new Promise((resolve, reject) => {
        const timeout = setTimeout(() => finish(new Error(`timed out waiting for ${pattern}; output so far:\n${seen}`)), waitMs);
        const finish = (error: Error | null, match?: RegExpMatchArray) => {
          clearTimeout(timeout);
          waiters.delete(check);
          if (error) reject(error);
          else resolve(match!);
        };
        const check = () => {
          const match = seen.match(pattern);
          if (match) finish(null, match);
          else if (exited) finish(new Error(`exited before printing ${pattern}:\n${seen}`));
        };
        waiters.add(check);
        check();
      });
    },
  };
}
