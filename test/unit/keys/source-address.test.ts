/** source-address matching (PROTOCOL.certkeys), v4, v6 and IPv4-mapped v6. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { matchSourceAddress, parseIpAddress } from '../../../keys/source-address.js';

test('parses v4, v6, compressed v6, dotted-quad tails and zones', () => {
  assert.is(parseIpAddress('192.0.2.1')?.toString('hex'), 'c0000201');
  assert.is(parseIpAddress('::1')?.toString('hex'), '00000000000000000000000000000001');
  assert.is(parseIpAddress('2001:db8::8:800:200c:417a')?.toString('hex'), '20010db80000000000080800200c417a');
  assert.is(parseIpAddress('::ffff:127.0.0.1')?.toString('hex'), '00000000000000000000ffff7f000001');
  assert.is(parseIpAddress('64:ff9b::192.0.2.33')?.toString('hex'), '0064ff9b0000000000000000c0000221');
  assert.is(parseIpAddress('fe80::1%eth0')?.toString('hex'), 'fe800000000000000000000000000001');
  for (const bad of ['', '1.2.3', '256.1.1.1', '1::2::3', 'gggg::', '01.2.3.4', 'host.example']) {
    assert.is(parseIpAddress(bad), undefined, bad);
  }
});

const cases: Array<[string, string, boolean | 'malformed']> = [
  ['10.0.0.0/8', '10.255.255.255', true],
  ['10.0.0.0/8', '11.0.0.0', false],
  ['10.0.0.0/8', '::ffff:10.1.1.1', true],
  ['127.0.0.1', '::ffff:127.0.0.1', true],
  ['127.0.0.1', '127.0.0.2', false],
  ['0.0.0.0/0', '203.0.113.9', true],
  ['0.0.0.0/0', '2001:db8::1', false],
  ['::/0', '2001:db8::1', true],
  ['2001:db8::/32', '2001:db8:ffff::1', true],
  ['2001:db8::/32', '2001:db9::1', false],
  ['2001:db8::/33', '2001:db8:8000::1', false],
  ['::ffff:0:0/96', '::ffff:1.2.3.4', true],
  ['192.168.1.0/24,::1', '::1', true],
  ['192.168.1.0/24,::1', '192.168.1.77', true],
  ['192.168.1.0/24,::1', '192.168.2.1', false],
  ['10.0.0.1/8', '10.0.0.1', 'malformed'],
  ['10.0.0.0/33', '10.0.0.1', 'malformed'],
  ['10.0.0.0/8,', '10.0.0.1', 'malformed'],
  ['10.0.0.0/8, 127.0.0.1', '10.0.0.1', 'malformed'],
  ['*', '10.0.0.1', 'malformed'],
  ['10.0.0.0/8', 'not-an-ip', 'malformed'],
];

for (const [list, addr, expected] of cases) {
  test(`${addr} in ${list} -> ${expected}`, () => {
    assert.is(matchSourceAddress(list, addr), expected);
  });
}

test.run();
