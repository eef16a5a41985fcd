import * as assert from 'uvu/assert';
import { MaiError } from '../../gateway/errors.js';
import { KeyError } from '../../keys/key-error.js';

type ErrorClass<E> = new (...args: never[]) => E;

/** The error of class `type` that `fn` throws; fails the test when it throws nothing or something else. */
export function thrownOf<E>(type: ErrorClass<E>, fn: () => unknown): E {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type);
    return err as E;
  }
  throw new assert.Assertion({ message: `expected a ${type.name}, got none`, generated: false, operator: 'throws', expects: type.name, actual: 'nothing' });
}

/** The error of class `type` that the promise of `fn` rejects with. */
export async function rejectedOf<E>(type: ErrorClass<E>, fn: () => Promise<unknown>): Promise<E> {
  try {
    await fn();
  } catch (err) {
    assert.instance(err, type);
    return err as E;
  }
  throw new assert.Assertion({ message: `expected a ${type.name}, got none`, generated: false, operator: 'rejects', expects: type.name, actual: 'nothing' });
}

/** The MaiError `fn` throws. */
export const thrownBy = (fn: () => unknown): MaiError => thrownOf(MaiError, fn);
/** The MaiError `fn`'s promise rejects with. */
export const rejectedBy = (fn: () => Promise<unknown>): Promise<MaiError> => rejectedOf(MaiError, fn);
/** The KeyError `fn` throws (keys/ speaks its own error type). */
export const keyErrorOf = (fn: () => unknown): KeyError => thrownOf(KeyError, fn);

/** The code of the MaiError the promise rejects with, or 'no error'. */
export async function errorCode(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, MaiError);
    return (err as MaiError).code;
  }
  return 'no error';
}
