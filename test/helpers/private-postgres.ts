import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { freePort } from './free-port.js';
import { run } from './run.js';

/**
 * A throwaway PostgreSQL cluster of this test's own (initdb in a temp dir, its own
 * port and socket folder), which the test may stop and start: the shared cluster on
 * 5432 is never touched. Needs root (the cluster runs as the `postgres` user) and
 * Debian's postgresql package; `unavailable()` says why not, for counting as skipped.
 */
export class PrivatePostgres {
  readonly dir: string;
  port = 0;
  private constructor(
    private readonly bin: string,
    private readonly uid: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), 'mai-private-pg-'));
    chownSync(this.dir, uid, uid);
  }

  /** Why no private cluster can run here, or null when one can. */
  static unavailable(): string | null {
    if (process.getuid?.() !== 0) return 'not root (the cluster runs as the postgres user)';
    if (!PrivatePostgres.binDir()) return 'no /usr/lib/postgresql/*/bin/initdb (apt-get install postgresql)';
    if (PrivatePostgres.postgresUid() === null) return 'no postgres user';
    return null;
  }

  /** initdb (trust on 127.0.0.1, role `mai`) and start. */
  static async create(): Promise<PrivatePostgres> {
    const pg = new PrivatePostgres(PrivatePostgres.binDir()!, PrivatePostgres.postgresUid()!);
    pg.port = await freePort();
    await pg.asPostgres('initdb', ['-D', join(pg.dir, 'data'), '-U', 'mai', '--auth=trust', '-E', 'UTF8']);
    await pg.start();
    return pg;
  }

  get url(): string {
    return `postgres://mai@127.0.0.1:${this.port}/postgres`;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1`;
    await this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', 'start']);
  }

  /** A fast shutdown, as `systemctl stop postgresql` does: sessions are ended, not waited for. */
  async stop(): Promise<void> {
    await this.asPostgres('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  async remove(): Promise<void> {
    if (existsSync(join(this.dir, 'data', 'postmaster.pid'))) await this.stop().catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async asPostgres(tool: string, args: string[]): Promise<void> {
    const r = await run(join(this.bin, tool), args, { uid: this.uid, gid: this.uid, cwd: this.dir, timeoutMs: 120_000 });
    if (r.code !== 0) throw new Error(`${tool} ${args.join(' ')} failed (${r.code}): ${r.stderr || r.stdout}`);
  }

  private static binDir(): string | null {
    const root = '/usr/lib/postgresql';
    if (!existsSync(root)) return null;
    const versions = readdirSync(root).sort((a, b) => Number(b) - Number(a));
    const found = versions.map((v) => join(root, v, 'bin')).find((bin) => existsSync(join(bin, 'initdb')));
    return found ?? null;
  }

  private static postgresUid(): number | null {
    try {
      return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    } catch {
      return null;
    }
  }
}
