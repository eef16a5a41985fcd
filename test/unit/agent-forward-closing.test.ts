/**
 * A connection that goes while one of its channels is being set up with `ssh -A`: the
 * agent socket is refused as CONNECTION_CLOSED, a fact about the client, not an INTERNAL
 * failure of the gateway (found by the SSH fuzzer: auth-agent-req, exec, then a hang-up).
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { Connection } from 'ssh2';
import { MaiError } from '../../gateway/errors.js';
import { AgentForwarding } from '../../gateway/ssh/agent-forward.js';
import type { RelayContext } from '../../gateway/ssh/container-relay.js';
import type { SessionRecord } from '../../gateway/domain/types.js';

test('after close, the agent socket is refused with CONNECTION_CLOSED', async () => {
  // Closing with no relay open touches neither the context nor the connection.
  const agent = new AgentForwarding({} as RelayContext, {} as Connection);
  await agent.close();
  const refused = await agent.socketFor({ id: 's1' } as SessionRecord).then(
    () => null,
    (err: unknown) => err,
  );
  assert.ok(refused instanceof MaiError);
  assert.is(refused.code, 'CONNECTION_CLOSED');
});

test.run();
