import * as assert from 'uvu/assert';
import { MaiError } from '../../gateway/errors.js';

/** The MaiError `fn` throws; fails the test when it throws nothing or something else. */
export function thrownBy(fn: () => unknown): MaiError {
  try {
    fn();
  } catch (err) {
    assert.instance(err, MaiError);
    return err as MaiError;
  }
  throw new Error('expected a MaiError, got none');
}
