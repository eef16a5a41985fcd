import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { BoundedMap } from '../../gateway/bounded-map.js';
import { AuthThrottle } from '../../gateway/ssh/auth-throttle.js';
import { RateLimiter } from '../../api/rate-limiter.js';

test('entries expire after the ttl since their last write', () => {
  let now = 0;
  const map = new BoundedMap<number>(10, 1000, () => now);
  map.set('a', 1);
  now = 999;
  assert.is(map.get('a'), 1);
  map.set('a', 2); // written again: lives another ttl
  now = 1998;
  assert.is(map.get('a'), 2);
  now = 2999;
  assert.is(map.get('a'), undefined);
});

test('a flood of new keys never grows the map past its bound; the stalest go first', () => {
  let now = 0;
  const map = new BoundedMap<number>(1000, 60_000, () => now);
  for (let i = 0; i < 50_000; i++) {
    now++;
    map.set(`k${i}`, i);
    assert.ok(map.size <= 1000);
  }
  assert.is(map.get('k0'), undefined);
  assert.is(map.get('k49999'), 49999);
});

test('the auth throttle and the rate limiter keep their rules on the bounded map', () => {
  let now = 0;
  const throttle = new AuthThrottle({ free: 2, baseMs: 100, maxMs: 400, windowMs: 1000 }, () => now);
  assert.equal([1, 2, 3, 4, 5, 6].map(() => throttle.fail('a')), [0, 0, 100, 200, 400, 400]);
  now = 1000;
  assert.is(throttle.fail('a'), 0, 'forgotten after a quiet window');
  const limiter = new RateLimiter(2, 1000, () => now);
  assert.equal([limiter.hit('u'), limiter.hit('u'), limiter.hit('u') > 0], [0, 0, true]);
  now = 2000;
  assert.is(limiter.hit('u'), 0, 'a new window');
});

test.run();
