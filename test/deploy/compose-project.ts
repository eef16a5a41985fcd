/**
 * deploy/docker-compose.yml driven as an operator drives it, through Debian's
 * docker-compose 1.29, with everything of a run unique to it (project name, image
 * tag, session network, admin) and its ports published on 127.0.0.1 only. Also the
 * images it needs where none can be pulled: the Node base the Dockerfile names and
 * a stand-in for the PostgreSQL image the compose file names.
 */
import { fileURLToPath } from 'node:url';
import { docker } from '../docker/docker-fixtures.js';
import { freePort } from '../helpers/free-port.js';
import { eventually, run, type RunResult } from '../helpers/run.js';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const COMPOSE_FILE = fileURLToPath(new URL('../../deploy/docker-compose.yml', import.meta.url));
export const SHIPPED_CONFIG = fileURLToPath(new URL('../../deploy/mai-service.yaml', import.meta.url));
const POSTGRES_STAND_IN = fileURLToPath(new URL('./postgres-stand-in/', import.meta.url));
export const NODE_BASE_IMAGE = 'node:20-bookworm-slim';
/** The image deploy/docker-compose.yml names for its `postgres` profile. */
export const POSTGRES_IMAGE = 'postgres:15-bookworm';
/** Building the server image compiles native modules; give slow, shared machines room. */
const BUILD_TIMEOUT_MS = 20 * 60_000;

export const imageExists = async (image: string) => (await docker(['image', 'inspect', image])).code === 0;

function must(what: string, result: RunResult): RunResult {
  if (result.code !== 0) throw new Error(`${what} failed (${result.code}):\n${result.stderr.slice(-3000)}`);
  return result;
}

/** node:20-bookworm-slim from debian:bookworm-slim and this machine's Node 20 (deploy/node-base-image.sh); true when made now. */
export async function ensureNodeBaseImage(): Promise<boolean> {
  if (await imageExists(NODE_BASE_IMAGE)) return false;
  must('deploy/node-base-image.sh', await run('bash', [`${REPO}deploy/node-base-image.sh`, NODE_BASE_IMAGE], { timeoutMs: 10 * 60_000 }));
  return true;
}

/** The compose file's PostgreSQL image, or a stand-in from Debian's postgresql-15 tagged with its name; true when made now. */
export async function ensurePostgresImage(): Promise<boolean> {
  if (await imageExists(POSTGRES_IMAGE)) return false;
  must('postgres stand-in build', await run('docker', ['build', '-q', '-t', POSTGRES_IMAGE, POSTGRES_STAND_IN], { timeoutMs: 10 * 60_000 }));
  return true;
}

export interface StartTimes {
  /** Container start to the server's `server.listening` log line. */
  listeningMs: number;
  /** Container start to the first passing HEALTHCHECK (checks run every 5 s). */
  healthyMs: number;
}

export class ComposeProject {
  private constructor(
    readonly name: string,
    readonly env: NodeJS.ProcessEnv,
    readonly sshPort: number,
    readonly httpPort: number,
  ) {}

  /** `vars` go to compose's interpolation (MAI_IMAGE, MAI_CONFIG, MAI_ADMIN_TOKEN, ...). */
  static async create(name: string, vars: Record<string, string>): Promise<ComposeProject> {
    const sshPort = await freePort();
    const httpPort = await freePort();
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      MAI_SSH_ADDRESS: '127.0.0.1',
      MAI_HTTP_ADDRESS: '127.0.0.1',
      MAI_SSH_PORT: String(sshPort),
      MAI_HTTP_PORT: String(httpPort),
      ...vars,
    };
    return new ComposeProject(name, env, sshPort, httpPort);
  }

  get url(): string {
    return `https://127.0.0.1:${this.httpPort}`;
  }

  compose(args: string[], timeoutMs = 5 * 60_000): Promise<RunResult> {
    return run('docker-compose', ['--ansi', 'never', '-p', this.name, '-f', COMPOSE_FILE, ...args], { env: this.env, timeoutMs });
  }

  async build(): Promise<void> {
    must('docker-compose build', await this.compose(['build', 'mai'], BUILD_TIMEOUT_MS));
  }

  async up(): Promise<StartTimes> {
    must('docker-compose up', await this.compose(['up', '-d']));
    return this.waitHealthy();
  }

  async restart(): Promise<StartTimes> {
    must('docker-compose restart', await this.compose(['restart', 'mai']));
    return this.waitHealthy();
  }

  /** `down`: containers and the project network go, volumes stay (unless `volumes`). */
  async down(volumes = false): Promise<void> {
    must('docker-compose down', await this.compose(['down', ...(volumes ? ['-v'] : [])]));
  }

  async containerId(service = 'mai'): Promise<string> {
    return (await this.compose(['ps', '-q', service])).stdout.trim();
  }

  /** The server's JSON log lines since the container started. */
  async logLines(): Promise<Array<Record<string, unknown>>> {
    const out = (await docker(['logs', await this.containerId()])).stdout;
    return out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The last `server.listening` line: ports, scheme, host key and TLS fingerprints. */
  async listening(): Promise<Record<string, unknown>> {
    const line = (await this.logLines()).filter((l) => l.event === 'server.listening').at(-1);
    if (!line) throw new Error('no server.listening line in the log');
    return line;
  }

  private async waitHealthy(): Promise<StartTimes> {
    const id = await this.containerId();
    const state = await eventually(
      async () => {
        const inspected = JSON.parse((await docker(['inspect', id])).stdout)[0].State as DockerState;
        if (inspected.Health?.Status === 'healthy') return inspected;
        return undefined;
      },
      5 * 60_000,
      `${this.name}: the server container to be healthy`,
    );
    const started = Date.parse(state.StartedAt);
    const passed = (state.Health?.Log ?? []).filter((c) => c.ExitCode === 0 && Date.parse(c.End) >= started).map((c) => Date.parse(c.End));
    const listeningAt = Date.parse(String((await this.listening()).time));
    return { listeningMs: listeningAt - started, healthyMs: Math.min(...passed) - started };
  }
}

interface DockerState {
  StartedAt: string;
  Health?: { Status: string; Log: Array<{ End: string; ExitCode: number }> };
}
