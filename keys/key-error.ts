/**
 * The one error keys/ throws. keys/ is pure crypto below the server side, so it
 * knows nothing of mai's error catalog: it says what kind of material was wrong,
 * and the callers on the server side (gateway/errors.ts `toMaiError`) translate it
 * into a stable code at their boundary. Messages never carry key material.
 */
export type KeyErrorKind =
  /** Bytes or text that do not parse as what they claim to be (wire data, keys, signatures). */
  | 'MALFORMED'
  /** A certificate that does not parse. */
  | 'CERT_MALFORMED'
  /** A request the code will not do (an unsupported key type, an empty option name). */
  | 'UNSUPPORTED'
  /** A key file on disk that is missing, unreadable, too open or unparsable. */
  | 'KEY_FILE';

export class KeyError extends Error {
  override readonly name = 'KeyError';
  constructor(
    readonly kind: KeyErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
