import type { FastifyInstance, FastifyRequest } from 'fastify';
import { MaiError } from '../gateway/errors.js';
import { BoundedMap } from '../gateway/bounded-map.js';

/** Keys (addresses, users) counted at once; beyond this the stalest are forgotten. */
const MAX_TRACKED_KEYS = 100_000;

/**
 * A fixed-window counter per key (a client address, a user): at most `max` hits per
 * window. In memory and per process: behind a load balancer each replica counts on
 * its own, which still bounds guessing and IdP hammering by a small factor.
 */
export class RateLimiter {
  private readonly windows: BoundedMap<{ start: number; count: number }>;

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = new BoundedMap(MAX_TRACKED_KEYS, windowMs, now);
  }

  /** Counts a hit; returns 0 when allowed, else the seconds until the window resets. */
  hit(key: string): number {
    const now = this.now();
    let window = this.windows.get(key);
    if (!window || now - window.start >= this.windowMs) window = { start: now, count: 0 };
    window.count++;
    this.windows.set(key, window);
    if (window.count <= this.max) return 0;
    return Math.max(1, Math.ceil((window.start + this.windowMs - now) / 1000));
  }
}

/**
 * Rate-limits every request of the plugin it is added to, per client address (or per
 * `keyOf`, e.g. the authenticated user); RATE_LIMITED with Retry-After past the limit.
 */
export function limitRequests(
  app: FastifyInstance,
  rateLimit: { max: number; windowSeconds: number },
  keyOf: (request: FastifyRequest) => string = (request) => `ip:${request.ip}`,
): void {
  const limiter = new RateLimiter(rateLimit.max, rateLimit.windowSeconds * 1000);
  app.addHook('onRequest', async (request, reply) => {
    const retryAfter = limiter.hit(keyOf(request));
    if (retryAfter > 0) {
      reply.header('retry-after', String(retryAfter));
      throw new MaiError('RATE_LIMITED', `too many requests; retry in ${retryAfter}s`);
    }
  });
}
