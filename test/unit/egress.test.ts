import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { loadServiceConfig } from '../../gateway/config/service-config.js';
import { validateConfig } from '../../gateway/config/load-yaml.js';
import { formatEgress, parseEgress, proxyConfig, proxyFilter, withHosts } from '../../gateway/domain/egress.js';
import { egressFor, extraEgressHosts, LOCAL_POLICY, type Policy } from '../../gateway/domain/policy.js';
import { cliConfigSchema } from '../../cli/cli-config.js';
import { thrownBy } from '../helpers/errors.js';

function inputError(fn: () => unknown): string {
  const error = thrownBy(fn);
  assert.is(error.code, 'INPUT_INVALID');
  assert.not.match(error.message, '\n', 'one line');
  return error.message;
}

test('--egress: open, none, allow:HOST,... (lowercased, deduplicated, *.DOMAIN allowed)', () => {
  assert.equal(parseEgress('open'), { mode: 'open' });
  assert.equal(parseEgress(' none '), { mode: 'none' });
  assert.equal(parseEgress('allow:GitHub.com, *.npmjs.org,github.com'), { mode: 'allow', hosts: ['github.com', '*.npmjs.org'] });
  assert.equal(parseEgress('allow:10.1.2.3'), { mode: 'allow', hosts: ['10.1.2.3'] });
  assert.is(formatEgress(parseEgress('allow:a.test,b.test')), 'allow:a.test,b.test');
});

test('bad --egress is one clear line: no host, not a host, unknown mode', () => {
  assert.match(inputError(() => parseEgress('allow:')), 'needs at least one host');
  assert.match(inputError(() => parseEgress('allow: , ')), 'needs at least one host');
  assert.match(inputError(() => parseEgress('allow:exa mple.com')), '"exa mple.com" is not a host name');
  assert.match(inputError(() => parseEgress('allow:http://x.com/')), 'is not a host name');
  assert.match(inputError(() => parseEgress('closed')), 'expected open, none or allow:');
});

test('the proxy lets only the listed hosts through, to the session network only', () => {
  const conf = proxyConfig({ port: 3128, clients: '172.30.0.0/16', filterFile: '/etc/mai/egress-allow' });
  for (const line of ['Port 3128', 'Allow 172.30.0.0/16', 'Filter "/etc/mai/egress-allow"', 'FilterType fnmatch', 'FilterURLs Off', 'FilterDefaultDeny Yes']) {
    assert.ok(conf.split('\n').includes(line), line);
  }
  assert.is(proxyFilter(['a.test', '*.b.test']), 'a.test\n*.b.test\n');
  assert.equal(withHosts(parseEgress('allow:a.test'), ['Git.test', 'a.test']), { mode: 'allow', hosts: ['a.test', 'git.test'] });
  assert.equal(withHosts(parseEgress('none'), ['git.test']), { mode: 'none' });
});

test('policy: the default when nothing is asked; a forced one refuses any other and keeps user hosts out', () => {
  const server: Policy = { ...LOCAL_POLICY, egress: { default: parseEgress('allow:pypi.org'), forced: false } };
  assert.equal(egressFor(server, undefined), parseEgress('allow:pypi.org'));
  assert.equal(egressFor(server, parseEgress('none')), { mode: 'none' });
  const forced: Policy = { ...server, egress: { ...server.egress, forced: true } };
  const error = thrownBy(() => egressFor(forced, parseEgress('open')));
  assert.is(error.code, 'AUTH_FORBIDDEN');
  assert.match(error.message, 'fixed to allow:pypi.org');
  assert.equal(egressFor(forced, parseEgress('allow:pypi.org')), parseEgress('allow:pypi.org'));
  const hosts = { byOperator: ['api.anthropic.com'], byUser: ['evil.test'] };
  assert.equal(extraEgressHosts(server, hosts), ['api.anthropic.com', 'evil.test']);
  assert.equal(extraEgressHosts(forced, hosts), ['api.anthropic.com']);
});

test('configs: egress, providers and MCP servers validate, with errors at their dotted path', () => {
  const config = validateConfig(
    cliConfigSchema,
    {
      egress: { default: 'allow:github.com' },
      providers: [{ name: 'anthropic', type: 'anthropic', apiKey: '${KEY}' }, { name: 'local', type: 'openai-compatible', baseUrl: 'http://llm.test:8000/v1' }],
      defaultModel: 'anthropic/claude-x',
      mcp: [{ name: 'everything', type: 'container', image: 'mcp/everything', port: 3001 }],
      defaultMcp: ['everything'],
    },
    'config.yaml',
    { KEY: 'sk-1' },
  );
  assert.equal(config.egress, { default: { mode: 'allow', hosts: ['github.com'] }, force: false });
  assert.is(config.providers[0]!.apiKey, 'sk-1');
  assert.equal(config.mcp[0], { name: 'everything', type: 'container', image: 'mcp/everything', port: 3001, path: '/mcp', transport: 'streamable-http', env: {} });
  const bad = (data: unknown) => thrownBy(() => validateConfig(cliConfigSchema, data, 'config.yaml', {})).message;
  assert.match(bad({ egress: { default: 'allow:' } }), 'config.yaml: egress.default: allow: needs at least one host');
  assert.match(bad({ providers: [{ name: 'x', type: 'openai-compatible' }] }), 'providers.0.baseUrl: is needed for openai-compatible');
  assert.match(bad({ providers: [{ name: 'x', type: 'anthropic' }, { name: 'x', type: 'openai' }] }), 'providers.1.name: "x" is defined twice');
  assert.match(bad({ mcp: [{ name: 'Bad_Name', type: 'command', command: 'x' }] }), 'mcp.0.name');
  assert.match(bad({ defaultModel: 'claude' }), 'defaultModel: expected PROVIDER/MODEL');
  // An unset key written as ${VAR:-} is no key at all, not an error.
  assert.is(validateConfig(cliConfigSchema, { providers: [{ name: 'a', type: 'anthropic', apiKey: '${NOPE:-}' }] }, 'c', {}).providers[0]!.apiKey, undefined);
  const service = loadServiceConfig(undefined, {});
  assert.equal(service.egress, { default: { mode: 'open' }, force: false });
});

test.run();
