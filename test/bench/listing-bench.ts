/**
 * A team server's day: 1,000 sessions of 50 users.
 *   GET /sessions p50/p99, 8 concurrent clients over the 50 users (wrk, see
 *   http-load.ts), beside GET /sessions/{id} (one row) at the same concurrency
 *   close of 100 running sessions (REST, 8 at a time) vs removing 100 running
 *   containers of the same image straight through the Engine API
 *
 * How the 1,000 sessions are made, honestly and in about a minute: 1,000 real
 * containers on the engine, made from mai's own container spec (image, labels,
 * limits) through the Engine API, and their 1,000 rows in the server's store,
 * before the server starts (so its start-up reconcile sees them all). 100 of
 * them run (the image's idle entrypoint); the other 900 are created and never
 * started, so they cost the engine its listing work and a user their rows,
 * but no memory. Creating 1,000 sessions through `mai` itself would take
 * 1,000 x the create time and 1,000 running containers (~10 GB) on a shared machine.
 */
import { performance } from 'node:perf_hooks';
import { LABEL_DRIVER, LABEL_OWNER, LABEL_SESSION, type ContainerSpec } from '../../gateway/backend/backend.js';
import { toCreateOptions } from '../../gateway/backend/docker-container-spec.js';
import { newSessionId } from '../../gateway/domain/ids.js';
import { DEFAULT_LIMITS } from '../../gateway/domain/session-request.js';
import { LABEL_INSTANCE } from '../../gateway/domain/session-deps.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { openStore } from '../../gateway/store/open-store.js';
import { BASE_IMAGE, BENCH_LABEL, engine, fmt, inParallel, log, median, type Figure } from './bench-kit.js';
import { BenchServer, userName, userToken } from './bench-server.js';
import { httpLoad, type LoadRequest } from './http-load.js';

const SESSIONS = Number(process.env.BENCH_SESSIONS ?? 1000);
const USERS = 50;
const RUNNING = Number(process.env.BENCH_RUNNING_SESSIONS ?? 100);
const CLIENTS = 8;
const LOAD_SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 5);
/** Engine calls of the set-up and clean-up: a shared engine, so not more. */
const SETUP_CONCURRENCY = 6;

interface Made {
  sessionId: string;
  owner: string;
  containerId: string;
}

export async function listingFigures(dir: string, network: string): Promise<Figure[]> {
  const server = new BenchServer(dir, USERS, network);
  const made: Made[] = [];
  const plain: string[] = [];
  try {
    const setupStart = performance.now();
    const store = await openStore({ dataDir: server.dataDir });
    const instance = await store.instanceId();
    log(`making ${SESSIONS} sessions (containers and rows)`);
    await inParallel(Array.from({ length: SESSIONS }), SETUP_CONCURRENCY, async (_, i) => {
      const owner = userName(i % USERS);
      const sessionId = newSessionId();
      const spec = sessionSpec(sessionId, owner, instance);
      const { json } = await engine('POST', `/containers/create?name=${spec.name}`, toCreateOptions(spec));
      const containerId = (json as { Id: string }).Id;
      made.push({ sessionId, owner, containerId });
      await store.insertSession(sessionRow(sessionId, owner, containerId, i < RUNNING ? 'running' : 'stopped'));
      if (i < RUNNING) await engine('POST', `/containers/${containerId}/start`);
    });
    await store.close();
    const setupSeconds = (performance.now() - setupStart) / 1000;

    log('starting the server (its reconcile sees them all)');
    const startStart = performance.now();
    await server.start();
    const startSeconds = (performance.now() - startStart) / 1000;
    const listed = (await server.api(userName(0), 'GET', '/sessions')).json as { sessions: Array<{ id: string }> };
    if (listed.sessions.length !== SESSIONS / USERS) throw new Error(`${userName(0)} sees ${listed.sessions.length} sessions, not ${SESSIONS / USERS}`);

    log(`GET /sessions and GET /sessions/{id}, ${CLIENTS} clients, ${LOAD_SECONDS} s each (wrk)`);
    // Warm-up: the server's request path compiled (JIT), as on a server that has been up a while.
    await inParallel(Array.from({ length: 64 }, (_, i) => userName(i % USERS)), CLIENTS, async (user) => void (await server.api(user, 'GET', '/sessions')));
    const load = (name: string, requests: LoadRequest[]) => httpLoad(`http://127.0.0.1:${server.httpPort}`, requests, { connections: CLIENTS, seconds: LOAD_SECONDS, dir, name });
    const lists = await load('list', Array.from({ length: USERS }, (_, i) => ({ path: '/sessions', token: userToken(userName(i)) })));
    const ones = await load('one', made.map((m) => ({ path: `/sessions/${m.sessionId}`, token: userToken(m.owner) })));
    if (lists.errors || ones.errors) throw new Error(`GET under load: ${lists.errors} and ${ones.errors} errors`);
    const engineList: number[] = [];
    for (let i = 0; i < 5; i++) {
      const start = performance.now();
      await engine('GET', `/containers/json?all=1&filters=${encodeURIComponent(JSON.stringify({ label: [`${LABEL_INSTANCE}=${instance}`] }))}`);
      engineList.push(performance.now() - start);
    }

    log(`close of ${RUNNING} running sessions, and of ${RUNNING} running containers`);
    await inParallel(Array.from({ length: RUNNING }), SETUP_CONCURRENCY, async (_, i) => {
      const spec = { ...sessionSpec(newSessionId(), 'nobody', 'none'), labels: { [BENCH_LABEL]: 'plain' } };
      const { json } = await engine('POST', '/containers/create', toCreateOptions(spec));
      plain[i] = (json as { Id: string }).Id;
      await engine('POST', `/containers/${plain[i]}/start`);
    });
    const running = made.slice(0, RUNNING);
    const closeStart = performance.now();
    await inParallel(running, CLIENTS, async (m) => void (await server.api(m.owner, 'DELETE', `/sessions/${m.sessionId}`)));
    const closeMs = performance.now() - closeStart;
    made.splice(0, RUNNING);
    const removeStart = performance.now();
    await inParallel(plain.splice(0), CLIENTS, async (id) => void (await engine('DELETE', `/containers/${id}?force=1&v=1`)));
    const removeMs = performance.now() - removeStart;

    return [
      {
        name: `GET /sessions p50 (${SESSIONS} sessions, ${USERS} users, ${CLIENTS} clients)`,
        unit: 'ms',
        mai: lists.p50Ms,
        baseline: ones.p50Ms,
        baselineName: 'GET /sessions/{id}',
        compare: 'diff',
        note: `${lists.requests} requests, ${fmt(lists.perSecond, 0)}/s (by id: ${ones.requests}, ${fmt(ones.perSecond, 0)}/s), by wrk; the engine lists the instance's containers in ${fmt(median(engineList))} ms`,
      },
      {
        name: `GET /sessions p99 (${SESSIONS} sessions, ${USERS} users, ${CLIENTS} clients)`,
        unit: 'ms',
        mai: lists.p99Ms,
        baseline: ones.p99Ms,
        baselineName: 'GET /sessions/{id}',
        compare: 'diff',
        target: { value: 20, of: 'mai', better: 'lower' },
        note: `set-up: ${SESSIONS} containers (${RUNNING} running) and rows in ${fmt(setupSeconds, 0)} s; server start with reconcile ${fmt(startSeconds)} s`,
      },
      {
        name: `close of ${RUNNING} running sessions (wall)`,
        unit: 'ms',
        mai: closeMs,
        baseline: removeMs,
        baselineName: `Engine API remove of ${RUNNING} running containers`,
        compare: 'ratio',
        note: `REST DELETE, ${CLIENTS} at a time, both`,
      },
    ];
  } finally {
    await server.stop();
    log(`removing ${made.length + plain.length} containers`);
    const leftovers = [...made.map((m) => m.containerId), ...plain.filter(Boolean)];
    await inParallel(leftovers, SETUP_CONCURRENCY, async (id) => void (await engine('DELETE', `/containers/${id}?force=1&v=1`).catch(() => {})));
  }
}

function sessionSpec(sessionId: string, owner: string, instance: string): ContainerSpec {
  return {
    name: `mai-${sessionId}`,
    image: BASE_IMAGE,
    labels: { [LABEL_SESSION]: sessionId, [LABEL_OWNER]: owner, [LABEL_DRIVER]: 'base', [LABEL_INSTANCE]: instance, [BENCH_LABEL]: 'listing' },
    env: { MAI_SESSION_ID: sessionId, MAI_SESSION_NAME: sessionId, MAI_DRIVER: 'base' },
    volumes: [],
    ports: [],
    limits: { ...DEFAULT_LIMITS },
  };
}

function sessionRow(id: string, owner: string, containerId: string, status: 'running' | 'stopped'): SessionRecord {
  const stamp = new Date().toISOString();
  return {
    id,
    name: id,
    owner,
    driver: 'base',
    image: BASE_IMAGE,
    status,
    containerId,
    projectUrl: null,
    spec: { envKeys: [], volumes: [], ports: [], limits: { ...DEFAULT_LIMITS } },
    createdAt: stamp,
    updatedAt: stamp,
  };
}
