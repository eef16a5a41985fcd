/** A MaiError's message is one line whatever it quotes (found by the REST fuzzer: a reference with a line break in it). */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { MaiError } from '../../gateway/errors.js';

test('control characters in a message are written as escapes; the rest is kept', () => {
  assert.is(new MaiError('SESSION_NOT_FOUND', 'no such session: \r\nX-Injected: 1').message, 'no such session: \\r\\nX-Injected: 1');
  assert.is(new MaiError('INPUT_INVALID', 'a\0b\tc\x7f').message, 'a\\u0000b\\tc\\u007f');
  assert.is(new MaiError('INPUT_INVALID', 'naïve 😀 "quoted"').message, 'naïve 😀 "quoted"');
});

test.run();
