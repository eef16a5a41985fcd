/** What the CLI writes into ssh_config/known_hosts from a server's /gateway answer. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkedGateway, type GatewayInfo } from '../../cli/remote/ssh-setup.js';
import { thrownBy } from '../helpers/errors.js';

const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl';
const good: GatewayInfo = { host: 'mai.example.com', port: 2222, login: 'alice', hostKey: `${KEY} mai-host`, knownHostsLine: 'ignored' };

test('a sound answer passes; the known_hosts line is rebuilt from the checked parts', () => {
  const info = checkedGateway(good);
  assert.is(info.knownHostsLine, `[mai.example.com]:2222 ${KEY}`);
  assert.is(checkedGateway({ ...good, host: '2001:db8::1', port: 22 }).knownHostsLine, `2001:db8::1 ${KEY}`);
});

test('anything that could smuggle an ssh option or a second known_hosts line is refused', () => {
  for (const bad of [
    { host: 'evil.example\n  ProxyCommand touch /tmp/pwned' },
    { host: 'evil example' },
    { host: '-oProxyCommand=x' },
    { host: '"quoted"' },
    { port: 0 },
    { port: 70000 },
    { port: '22\nProxyCommand x' as unknown as number },
    { login: 'alice\n  ProxyCommand x' },
    { login: 'Alice Smith' },
    { hostKey: `${KEY}\n@cert-authority * ${KEY}` },
    { hostKey: 'not a key' },
  ]) {
    const err = thrownBy(() => checkedGateway({ ...good, ...bad }));
    assert.is(err.code, 'REMOTE_UNREACHABLE', JSON.stringify(bad));
  }
});

test.run();
