import { isSealed, openSealed, type BoxKeyPair } from '../../keys/secret-box.js';
import { MaiError } from '../errors.js';

/**
 * A secret as a user handed it in: as given, or opened when a remote CLI sealed it to
 * this server's key (`sealTo`) for `owner`. One rule for every kind of secret
 * (project credentials, provider keys, MCP headers).
 */
export async function unsealInput(boxKeys: BoxKeyPair | undefined, text: string, owner: string): Promise<string> {
  if (!isSealed(text)) return text;
  if (!boxKeys) throw new MaiError('INPUT_INVALID', 'sealed secrets are not accepted here');
  try {
    return await openSealed(boxKeys, text, owner);
  } catch (err) {
    throw new MaiError(
      'INPUT_INVALID',
      "the sealed secret cannot be opened here: sealed to another server's key, for another user, by an older mai, or damaged",
      { cause: err },
    );
  }
}
