import type { ChildProcess } from 'node:child_process';

/**
 * An interactive client (`ssh -tt`) a test types into and reads from while it runs:
 * what its terminal would have shown is in `output` (escape sequences included).
 */
export class TerminalClient {
  private seen = '';
  readonly exited: Promise<number | null>;

  constructor(private readonly child: ChildProcess) {
    const collect = (chunk: Buffer): void => {
      this.seen += chunk.toString('utf8');
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.stdin!.on('error', () => {});
    this.exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  }

  get output(): string {
    return this.seen;
  }

  /** Output since `mark` (a length of `output` taken earlier). */
  since(mark: number): string {
    return this.seen.slice(mark);
  }

  type(text: string): void {
    this.child.stdin!.write(text);
  }

  /** Resolves with the output once it matches `pattern` after `from` (default: anywhere). */
  async waitFor(pattern: RegExp | string, timeoutMs = 30_000, from = 0): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const matches = () => (typeof pattern === 'string' ? this.seen.slice(from).includes(pattern) : pattern.test(this.seen.slice(from)));
    while (!matches()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${String(pattern)}; output so far:\n${JSON.stringify(this.seen.slice(-2000))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    return this.seen;
  }

  /** Ends it (SIGTERM; the client's connection goes, and with it its processes in the session). */
  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGTERM');
    await this.exited;
  }
}
