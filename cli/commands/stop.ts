import { MaiError } from '../../gateway/errors.js';
import type { CliContext } from '../context.js';

/**
 * `mai stop` belongs inside a session: the session image has its own `mai` that
 * ends the session. Here, on the host, say what to do instead.
 */
export async function run(_argv: string[], ctx: CliContext): Promise<number> {
  const where = ctx.env.MAI_SESSION_ID ? ` (MAI_SESSION_ID=${ctx.env.MAI_SESSION_ID} is set, but this is the host's mai)` : '';
  throw new MaiError('NOT_INSIDE_SESSION', `mai stop works inside a session${where}; on the host use "mai session close ID"`);
}
