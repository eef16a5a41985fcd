/**
 * resizeToLatest: a burst of terminal sizes reaches the engine one at a time, and the
 * last one asked for is the last one applied (found by the SSH fuzzer's window-change storm).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { resizeToLatest } from '../../gateway/domain/terminal.js';

/** A terminal whose resizes finish when the test says so, and which counts how many run at once. */
function slowTerminal() {
  const applied: string[] = [];
  const finishers: Array<() => void> = [];
  let running = 0;
  let mostAtOnce = 0;
  return {
    applied,
    get mostAtOnce() {
      return mostAtOnce;
    },
    finishOne: async () => {
      finishers.shift()?.();
      await new Promise((r) => setImmediate(r));
    },
    resize(cols: number, rows: number): Promise<void> {
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      return new Promise((resolve) =>
        finishers.push(() => {
          running--;
          applied.push(`${cols}x${rows}`);
          resolve();
        }),
      );
    },
  };
}

test('a burst of sizes: one engine call at a time, the newest size applied last, the ones in between skipped', async () => {
  const terminal = slowTerminal();
  const resize = resizeToLatest(terminal);
  for (let i = 1; i <= 1000; i++) resize(i, i);
  resize(77, 33);
  while (terminal.applied.at(-1) !== '77x33') await terminal.finishOne();
  assert.equal(terminal.applied, ['1x1', '77x33']);
  assert.is(terminal.mostAtOnce, 1);
  // Later sizes still go through once the burst is over.
  resize(100, 40);
  await terminal.finishOne();
  assert.equal(terminal.applied, ['1x1', '77x33', '100x40']);
});

test('a resize that fails does not stop the next one', async () => {
  const applied: string[] = [];
  const resize = resizeToLatest({
    resize: async (cols, rows) => {
      if (cols === 1) throw new Error('engine said no');
      applied.push(`${cols}x${rows}`);
    },
  });
  resize(1, 1);
  resize(2, 2);
  await new Promise((r) => setTimeout(r, 10));
  assert.equal(applied, ['2x2']);
});

test.run();
