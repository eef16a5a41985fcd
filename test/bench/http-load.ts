/**
 * HTTP latency under concurrent clients, measured by `wrk` (Debian's `wrk`), a C
 * load generator: a client in Node (fetch) on the same two cores spends about
 * as much CPU per request as the server does, and its own queueing and
 * collections would be counted as the server's latency.
 *
 * Each connection sends one request at a time, so `connections` is the number of
 * concurrent clients. Requests cycle through `requests` (each its own path and
 * bearer token), so the load spreads over users as a team's would.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { run } from '../helpers/run.js';

export interface LoadRequest {
  path: string;
  token: string;
}

export interface LoadResult {
  p50Ms: number;
  p99Ms: number;
  requests: number;
  perSecond: number;
  /** Non-2xx answers and socket errors: a figure with any is not a figure. */
  errors: number;
}

export async function wrkAvailable(): Promise<boolean> {
  return (await run('sh', ['-c', 'command -v wrk'])).code === 0;
}

export async function httpLoad(baseUrl: string, requests: LoadRequest[], options: { connections: number; seconds: number; dir: string; name: string }): Promise<LoadResult> {
  const script = join(options.dir, `${options.name}.lua`);
  // Latencies are in microseconds; `done` prints one line the bench parses.
  writeFileSync(
    script,
    [
      `local requests = { ${requests.map((r) => `{ ${luaString(r.path)}, ${luaString(`Bearer ${r.token}`)} }`).join(', ')} }`,
      'local next_request = 0',
      'init = function(args) next_request = math.random(#requests) - 1 end',
      'request = function()',
      '  next_request = (next_request % #requests) + 1',
      '  local r = requests[next_request]',
      '  return wrk.format("GET", r[1], { ["authorization"] = r[2] })',
      'end',
      'done = function(summary, latency, requests)',
      '  local e = summary.errors',
      '  io.write(string.format("mai-load %d %d %d %f %d\\n", latency:percentile(50), latency:percentile(99), summary.requests,',
      '    summary.requests / (summary.duration / 1e6), e.connect + e.read + e.write + e.status + e.timeout))',
      'end',
      '',
    ].join('\n'),
  );
  const result = await run('wrk', ['-t', '1', '-c', String(options.connections), '-d', `${options.seconds}s`, '-s', script, baseUrl], { timeoutMs: (options.seconds + 30) * 1000 });
  const line = /mai-load (\d+) (\d+) (\d+) ([\d.]+) (\d+)/.exec(result.stdout);
  if (result.code !== 0 || !line) throw new Error(`wrk: ${result.code} ${result.stdout} ${result.stderr}`);
  return { p50Ms: Number(line[1]) / 1000, p99Ms: Number(line[2]) / 1000, requests: Number(line[3]), perSecond: Number(line[4]), errors: Number(line[5]) };
}

function luaString(value: string): string {
  return JSON.stringify(value); // a JSON string of printable ASCII is a valid Lua string
}
