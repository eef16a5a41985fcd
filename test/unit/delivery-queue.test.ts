import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DeliveryQueue, type DropReason } from '../../gateway/logging/delivery-queue.js';
import { eventually } from '../helpers/run.js';

/**
 * The bounded queue every logging provider puts in front of its peer, driven by a
 * peer that can be made to fail or hang (the transport is the seam).
 */
function harness(capacity: number, batchSize: number) {
  const delivered: number[][] = [];
  const dropped: Record<DropReason, number> = { overflow: 0, shutdown: 0 };
  const health: boolean[] = [];
  let forwarded = 0;
  let failing = false;
  let hang: Promise<void> | null = null;
  const queue = new DeliveryQueue<number>({
    capacity,
    batchSize,
    backoff: { initialMs: 5, maxMs: 20 },
    async send(batch) {
      if (hang) await hang;
      if (failing) throw new Error('peer down');
      delivered.push([...batch]);
    },
    onForwarded: (n) => (forwarded += n),
    onDropped: (n, reason) => (dropped[reason] += n),
    onHealth: (err) => health.push(err === null),
  });
  return {
    queue,
    delivered,
    dropped,
    health,
    get forwarded() {
      return forwarded;
    },
    fail(on: boolean) {
      failing = on;
    },
    hold(): () => void {
      let release!: () => void;
      hang = new Promise<void>((resolve) => (release = resolve));
      return () => {
        hang = null;
        release();
      };
    },
  };
}

test('items go in order, in batches, and are counted once delivered', async () => {
  const h = harness(100, 3);
  for (let i = 1; i <= 7; i++) h.queue.push(i);
  await eventually(async () => h.forwarded === 7, 5000, 'delivery');
  assert.equal(h.delivered.flat(), [1, 2, 3, 4, 5, 6, 7]);
  assert.ok(h.delivered.every((b) => b.length <= 3));
  assert.is(h.queue.size, 0);
});

test('a peer that hangs: push never blocks; past the bound the oldest waiting items are dropped and counted', async () => {
  const h = harness(5, 2);
  const release = h.hold();
  for (let i = 1; i <= 12; i++) h.queue.push(i);
  // [1] went out at once and hangs; of 2..12 only the 4 newest fit beside it.
  assert.is(h.queue.size, 5);
  assert.is(h.dropped.overflow, 7);
  release();
  await eventually(async () => h.queue.size === 0, 5000, 'the queue to drain');
  assert.equal(h.delivered.flat(), [1, 9, 10, 11, 12]);
});

test('a failed batch goes back to the front and is retried with backoff until the peer takes it', async () => {
  const h = harness(10, 4);
  h.fail(true);
  for (let i = 1; i <= 6; i++) h.queue.push(i);
  await eventually(async () => h.health.filter((ok) => !ok).length >= 3, 5000, 'a few failed attempts');
  assert.is(h.forwarded, 0);
  h.fail(false);
  await eventually(async () => h.forwarded === 6, 5000, 'delivery after recovery');
  assert.equal(h.delivered.flat(), [1, 2, 3, 4, 5, 6]);
  assert.is(h.health.at(-1), true);
  assert.is(h.dropped.overflow, 0);
});

test('close delivers what it can within its bound, then counts the rest as shutdown drops; pushes after close are dropped', async () => {
  const h = harness(10, 2);
  for (let i = 1; i <= 4; i++) h.queue.push(i);
  await h.queue.close(1000);
  assert.equal(h.delivered.flat(), [1, 2, 3, 4]);

  const stuck = harness(10, 2);
  stuck.fail(true);
  for (let i = 1; i <= 4; i++) stuck.queue.push(i);
  await stuck.queue.close(50);
  assert.is(stuck.dropped.shutdown, 4);
  stuck.queue.push(5);
  assert.is(stuck.dropped.shutdown, 5);
  assert.is(stuck.queue.size, 0);
});

test.run();
