import { StringDecoder } from 'node:string_decoder';

/**
 * asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/), what `asciinema play`
 * reads: newline-delimited JSON.
 *
 *   line 1, the header, a JSON object:
 *     version    2 (integer, required)
 *     width      initial terminal columns (integer, required)
 *     height     initial terminal rows (integer, required)
 *     timestamp  start, in Unix seconds (integer)
 *     title      string
 *     env        object of strings (TERM, SHELL)
 *   every later line, one event, a 3-element JSON array:
 *     [time, code, data]
 *     time       seconds since the start (float, never decreasing; v3 uses intervals, v2 does not)
 *     code       "o" output, "i" input, "r" resize (data "COLSxROWS")
 *     data       UTF-8 text (JSON.stringify escapes control characters as \u001b...)
 */
export interface AsciicastHeader {
  readonly width: number;
  readonly height: number;
  /** Start of the recording. */
  readonly startedAt: Date;
  readonly title?: string;
  readonly env?: Readonly<Record<string, string>>;
}

/** The header line (with its newline). */
export function headerLine(header: AsciicastHeader): string {
  const line = {
    version: 2,
    width: header.width,
    height: header.height,
    timestamp: Math.floor(header.startedAt.getTime() / 1000),
    ...(header.title !== undefined ? { title: header.title } : {}),
    ...(header.env ? { env: header.env } : {}),
  };
  return `${JSON.stringify(line)}\n`;
}

/**
 * Turns a terminal's byte streams into event lines. Output and input each have their own
 * UTF-8 decoder, so a character split across two chunks comes out whole in the later
 * event; bytes that are not UTF-8 become U+FFFD, as asciinema itself records them.
 */
export class AsciicastEncoder {
  private readonly output = new StringDecoder('utf8');
  private readonly input = new StringDecoder('utf8');
  private last = 0;

  /** `elapsedMs`: time since the start, from a monotonic clock. */
  constructor(private readonly elapsedMs: () => number) {}

  outputLine(chunk: Buffer): string {
    return this.event('o', this.output.write(chunk));
  }

  inputLine(chunk: Buffer): string {
    return this.event('i', this.input.write(chunk));
  }

  resizeLine(cols: number, rows: number): string {
    return this.event('r', `${cols}x${rows}`);
  }

  /** An event line, or '' for no text (a chunk that held only the start of a character). */
  private event(code: 'o' | 'i' | 'r', data: string): string {
    if (data === '') return '';
    // Microseconds, as asciinema writes them; never earlier than the event before.
    this.last = Math.max(this.last, Math.round(this.elapsedMs() * 1000) / 1e6);
    return `${JSON.stringify([this.last, code, data])}\n`;
  }
}
