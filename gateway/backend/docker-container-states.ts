import type { IncomingMessage } from 'node:http';
import type { ContainerInfo, ContainerState, ContainerStates } from './backend.js';
import { fromListing, labelFilter, matchesLabels } from './docker-container-spec.js';
import { MaiError } from '../errors.js';
import { toDockerError } from './docker-errors.js';
import { queryString, type EngineClient } from './engine-client.js';

/** The events that change what `ContainerInfo` holds; exec, attach and archive events do not. */
const WATCHED_EVENTS = ['create', 'start', 'die', 'destroy', 'pause', 'unpause'];
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
/** A full listing this often, even with the stream up: the engine drops events for a reader that lags. */
const RESYNC_MS = 5 * 60_000;

/** What the metrics see of the watch. */
export interface ContainerStatesObserver {
  event?(action: string): void;
  /** A full listing replaced what was known: at start, after the stream broke, or the periodic one. */
  listed?(reason: 'start' | 'reconnect' | 'resync'): void;
}

/*
 * One engine event (`GET /events`), the fields read here:
 *   { "Type": "container", "Action": "die", "time": 1700000000,
 *     "Actor": { "ID": "<container id>", "Attributes": { "exitCode": "137",
 *                "name": "mai-abc", "image": "mai/base:latest", <labels>... } } }
 * Events arrive as JSON objects, one per line.
 */
interface EngineEvent {
  Action?: string;
  Actor?: { ID?: string; Attributes?: Record<string, string> };
}

/**
 * `ContainerStates` fed by the engine's event stream (see its contract in backend.ts).
 *
 * Why it stays right:
 * - Subscribe first, then list: events that race the listing are held and
 *   replayed after it, in order. Each event sets a container's whole state (or
 *   adds or drops it), so replaying events older than the listing ends where the
 *   engine is.
 * - This process's own calls (create, start, remove) are written through at once,
 *   so a client that creates and then lists sees its session running, unless
 *   the stream already told something about that container meanwhile (it is
 *   newer than the call's answer, or as new).
 * - A broken stream turns reads back to the engine until a new stream is up and
 *   a new listing taken; retries back off up to 5 s.
 */
export class DockerContainerStates implements ContainerStates {
  private containers = new Map<string, ContainerInfo>();
  /**
   * `containers` as the array `list` answers, made again only after a change: a team
   * server's listing requests far outnumber its container events, and at 1,000
   * containers each copy (with its index by session) was a third of the garbage of a
   * `GET /sessions`.
   */
  private listed: readonly ContainerInfo[] | null = null;
  /** Events seen per container since the last listing: a write-through never undoes newer news. */
  private readonly seen = new Map<string, number>();
  private stream: IncomingMessage | null = null;
  private phase: 'idle' | 'connecting' | 'live' | 'closed' = 'idle';
  private retryMs = RETRY_MIN_MS;
  private timer: NodeJS.Timeout | null = null;
  private starting: Promise<boolean> | null = null;
  /** Set while the stream is ended on purpose for the periodic listing. */
  private resyncing = false;
  /** Started without following: one listing, on first read (see `ContainerStates`). */
  private snapshot = false;

  constructor(
    private readonly engine: EngineClient,
    private readonly labels: Record<string, string>,
    private readonly observer: ContainerStatesObserver = {},
    /** Told when the watch starts and closes, so its backend writes its own calls through to it meanwhile. */
    private readonly lifecycle: { started(): void; closed(): void } = { started() {}, closed() {} },
  ) {}

  get live(): boolean {
    return this.phase === 'live' && !this.snapshot;
  }

  /** Reads come from memory: live, or a snapshot already taken. */
  private get inMemory(): boolean {
    return this.phase === 'live';
  }

  private get closed(): boolean {
    return this.phase === 'closed';
  }

  start(options: { follow?: boolean; untilReachable?: boolean } = {}): Promise<boolean> {
    if (!this.starting) {
      this.lifecycle.started();
      this.snapshot = options.follow === false;
      this.starting = this.snapshot ? Promise.resolve(true) : this.firstConnect(options.untilReachable === true);
    }
    return this.starting;
  }

  /** The first stream and listing; with `untilReachable`, an engine that is not there yet is retried in the background. */
  private async firstConnect(untilReachable: boolean): Promise<boolean> {
    try {
      await this.connect('start');
      return true;
    } catch (err) {
      if (!untilReachable || !(err instanceof MaiError) || err.code !== 'DOCKER_UNAVAILABLE') throw err;
      this.schedule(this.retryMs, () => void this.retry('reconnect'));
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.phase = 'closed';
    if (this.timer) clearTimeout(this.timer);
    this.stream?.destroy();
    this.stream = null;
    this.lifecycle.closed();
  }

  async list(): Promise<readonly ContainerInfo[]> {
    if (this.snapshot && this.phase === 'idle') {
      const listed = await this.listFromEngine();
      // A read that raced this one may have listed (and been written through) first.
      if (this.phase === 'idle') {
        this.replaceAll(listed);
        this.phase = 'live';
        this.observer.listed?.('start');
      }
    }
    return this.inMemory ? (this.listed ??= [...this.containers.values()]) : this.listFromEngine();
  }

  /** What is known of one container (by id or name), while reads come from memory. */
  known(ref: string): ContainerInfo | undefined {
    return this.inMemory ? this.containers.get(this.idOf(ref)) : undefined;
  }

  /** How many events the stream reported for a container (by id or name) so far; give it back to `wrote`. */
  mark(ref: string): number {
    return this.seen.get(this.idOf(ref)) ?? 0;
  }

  /**
   * This process changed a container (by id or name): `info` is its new state (null:
   * removed). Ignored when the stream reported something about it since `mark` was taken.
   */
  wrote(ref: string, mark: number, info: ContainerInfo | null): void {
    if (!this.inMemory) return;
    const id = this.idOf(ref);
    if (info === null) {
      this.remove(id);
      return;
    }
    if (this.mark(id) !== mark || !matchesLabels(info.labels, this.labels)) return;
    this.put(id, info);
  }

  private put(id: string, info: ContainerInfo): void {
    this.containers.set(id, info);
    this.listed = null;
  }

  private remove(id: string): void {
    if (this.containers.delete(id)) this.listed = null;
  }

  private replaceAll(listed: ContainerInfo[]): void {
    this.containers = new Map(listed.map((c) => [c.id, c]));
    this.listed = null;
  }

  /** The id of a container named by id or by name (sidecars are started and removed by name). */
  private idOf(ref: string): string {
    if (this.containers.has(ref)) return ref;
    for (const info of this.containers.values()) if (info.name === ref) return info.id;
    return ref;
  }

  private async listFromEngine(): Promise<ContainerInfo[]> {
    const path = `/containers/json${queryString({ all: 1, filters: { label: labelFilter(this.labels) } })}`;
    try {
      return (await this.engine.json<Parameters<typeof fromListing>[0][]>('GET', path)).map(fromListing);
    } catch (err) {
      throw toDockerError(err, this.engine.socketPath);
    }
  }

  private async connect(reason: 'start' | 'reconnect' | 'resync'): Promise<void> {
    const query = queryString({ filters: { type: ['container'], event: WATCHED_EVENTS, label: labelFilter(this.labels) } });
    let stream: IncomingMessage;
    try {
      stream = await this.engine.stream(`/events${query}`);
    } catch (err) {
      throw toDockerError(err, this.engine.socketPath);
    }
    if (this.closed) {
      stream.destroy();
      return;
    }
    this.stream = stream;
    this.phase = 'connecting';
    let held: EngineEvent[] | null = [];
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (!line) continue;
        let event: EngineEvent;
        try {
          event = JSON.parse(line) as EngineEvent;
        } catch {
          // Not an event: the stream can no longer be trusted; list again on a new one.
          stream.destroy();
          return;
        }
        if (held) held.push(event);
        else this.apply(event);
      }
    });
    const lost = () => this.lost(stream);
    stream.on('error', lost);
    stream.on('end', lost);
    stream.on('close', lost);
    try {
      const listed = await this.listFromEngine();
      if (this.stream !== stream) return; // lost (or closed) while listing: the retry lists again
      this.replaceAll(listed);
      this.seen.clear();
      for (const event of held) this.apply(event);
      held = null;
      this.phase = 'live';
      this.retryMs = RETRY_MIN_MS;
      this.observer.listed?.(reason);
      this.schedule(RESYNC_MS, () => {
        this.resyncing = true;
        stream.destroy();
      });
    } catch (err) {
      // The caller retries (or, at start, fails): this stream is no longer one to lose.
      if (this.stream === stream) this.stream = null;
      if (!this.closed) this.phase = 'idle';
      stream.destroy();
      throw err;
    }
  }

  /** The stream ended or failed: reads go to the engine until a new stream and listing are in. */
  private lost(stream: IncomingMessage): void {
    if (stream !== this.stream || this.closed) return;
    const reason = this.resyncing ? 'resync' : 'reconnect';
    // A stream that breaks before it was ever live backs off more each time.
    if (this.phase !== 'live') this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
    this.resyncing = false;
    this.stream = null;
    this.phase = 'connecting';
    this.schedule(reason === 'resync' ? 0 : this.retryMs, () => void this.retry(reason));
  }

  private async retry(reason: 'reconnect' | 'resync'): Promise<void> {
    try {
      await this.connect(reason);
    } catch {
      if (this.closed) return;
      this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
      this.schedule(this.retryMs, () => void this.retry('reconnect'));
    }
  }

  private schedule(ms: number, fn: () => void): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.closed) return;
    this.timer = setTimeout(fn, ms);
    // Never the reason a process stays up.
    this.timer.unref();
  }

  private apply(event: EngineEvent): void {
    const id = event.Actor?.ID;
    const action = event.Action ?? '';
    if (!id) return;
    this.seen.set(id, this.mark(id) + 1);
    this.observer.event?.(action);
    const attributes = event.Actor?.Attributes ?? {};
    const known = this.containers.get(id);
    switch (action) {
      case 'create': {
        if (known) return;
        const { name = '', image = '', ...labels } = attributes;
        this.put(id, { id, name, image, labels, state: 'created', exitCode: null });
        return;
      }
      case 'destroy':
        this.remove(id);
        return;
      case 'start':
      case 'unpause':
        return this.set(known, 'running', null);
      case 'pause':
        return this.set(known, 'paused', known?.exitCode ?? null);
      case 'die':
        return this.set(known, 'exited', Number.isFinite(Number(attributes.exitCode)) ? Number(attributes.exitCode) : null);
    }
  }

  /** Only containers already known change: an event for an unknown one is about a container already gone. */
  private set(known: ContainerInfo | undefined, state: ContainerState, exitCode: number | null): void {
    if (known) this.put(known.id, { ...known, state, exitCode });
  }
}
