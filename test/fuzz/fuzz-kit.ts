/**
 * What the fuzz tests share: a seeded generator (a failure names its seed and case,
 * so it replays exactly), byte mutations that go after the SSH wire format's weak
 * spots, and the run's size. `npm test` runs a short bounded run; `npm run fuzz`
 * (test/fuzz/run-fuzz.ts: MAI_FUZZ_LONG, MAI_FUZZ_CASES=N, MAI_FUZZ_SEED=S) runs as long as asked.
 */

/**
 * Cases per fuzz target: MAI_FUZZ_CASES when set, else the long run's count under
 * `npm run fuzz` (MAI_FUZZ_LONG), else the short run of `npm test`.
 */
export function fuzzCases(short: number, long = short): number {
  const asked = Number(process.env['MAI_FUZZ_CASES']);
  if (Number.isInteger(asked) && asked > 0) return asked;
  return process.env['MAI_FUZZ_LONG'] ? long : short;
}

/** The run's seed: MAI_FUZZ_SEED to replay one, else a fresh one (printed by the tests). */
export function fuzzSeed(): number {
  const asked = Number(process.env['MAI_FUZZ_SEED']);
  return Number.isInteger(asked) ? asked >>> 0 : (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** The long run's own bar: each case within this many ms (never asserted in `npm test`). */
export const STRICT_CASE_MS = process.env['MAI_FUZZ_STRICT'] ? 10 : null;

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
export class Random {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
}

/** Offsets of 4-byte big-endian values that read as a plausible length (an SSH string's prefix, most likely). */
function lengthFields(blob: Buffer): number[] {
  const found: number[] = [];
  for (let i = 0; i + 4 <= blob.length; i++) {
    const n = blob.readUInt32BE(i);
    if (n > 0 && n <= blob.length - i - 4) found.push(i);
  }
  return found;
}

const LENGTH_LIES = [0, 1, 3, 0x7fffffff, 0x80000000, 0xffffffff];

/**
 * One mutation of `blob`: bit flips, truncation, a length field that lies, a string
 * whose content is replaced by garbage or by another (valid) blob nested inside,
 * bytes inserted or removed, or a splice with another blob.
 */
export function mutate(blob: Buffer, rng: Random, others: readonly Buffer[] = []): Buffer {
  const out = Buffer.from(blob);
  switch (rng.int(7)) {
    case 0: {
      for (let i = 1 + rng.int(4); i > 0 && out.length; i--) out[rng.int(out.length)]! ^= 1 << rng.int(8);
      return out;
    }
    case 1:
      return out.subarray(0, rng.int(out.length));
    case 2: {
      const fields = lengthFields(out);
      if (!fields.length) return out;
      const at = rng.pick(fields);
      const real = out.readUInt32BE(at);
      out.writeUInt32BE(rng.pick([...LENGTH_LIES, real + 1, Math.max(0, real - 1), real * 2]) >>> 0, at);
      return out;
    }
    case 3: {
      const fields = lengthFields(out);
      if (!fields.length) return out;
      const at = rng.pick(fields);
      const end = at + 4 + out.readUInt32BE(at);
      const inner = others.length && rng.int(2) ? rng.pick(others) : rng.bytes(rng.int(64));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(inner.length);
      return Buffer.concat([out.subarray(0, at), length, inner, out.subarray(end)]);
    }
    case 4: {
      const at = rng.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), rng.bytes(1 + rng.int(16)), out.subarray(at)]);
    }
    case 5: {
      const at = rng.int(out.length + 1);
      return Buffer.concat([out.subarray(0, at), out.subarray(Math.min(out.length, at + 1 + rng.int(16)))]);
    }
    default: {
      const other = others.length ? rng.pick(others) : rng.bytes(32);
      return Buffer.concat([out.subarray(0, rng.int(out.length + 1)), other.subarray(rng.int(other.length + 1))]);
    }
  }
}

/** Slowest cases seen, for the report (and the long run's bar). */
export class Timings {
  slowestMs = 0;
  slowestCase = -1;
  record(caseNo: number, ms: number): void {
    if (ms > this.slowestMs) {
      this.slowestMs = ms;
      this.slowestCase = caseNo;
    }
  }
}
