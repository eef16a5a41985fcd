import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ledgerPath, renderToolConfig, toolConfigFiles } from '../../gateway/domain/tool-config-file.js';
import { fillTemplate } from '../../gateway/domain/tool-template.js';

test('templates: whole placeholders keep their type; missing ones drop their key', () => {
  const template = { model: 'anthropic/{{model}}', url: '{{baseUrl}}', args: '{{args}}', '{{provider}}': { on: true }, list: ['{{model}}', '{{nope}}'] };
  assert.equal(fillTemplate(template, { model: 'claude-x', args: ['-y', 'srv'], provider: 'work' }), {
    model: 'anthropic/claude-x',
    args: ['-y', 'srv'],
    work: { on: true },
    list: ['claude-x'],
  });
  assert.is(fillTemplate('{{nope}}', {}), undefined);
  assert.is(fillTemplate('x-{{n}}', { n: 3 }), 'x-3');
  assert.is(fillTemplate('{env:KEY}', {}), '{env:KEY}', "another tool's own syntax is left alone");
});

const entry = (url: string) => ({ type: 'http', url });

test('a whole file (merge: false) holds exactly the settings', () => {
  const { text, ledger } = renderToolConfig({ format: 'json', merge: false }, [
    { path: ['model'], value: 'anthropic/x' },
    { path: ['mcp', 'a'], value: entry('http://mcp-a/mcp') },
  ], { text: null, ledger: null });
  assert.equal(JSON.parse(text), { model: 'anthropic/x', mcp: { a: entry('http://mcp-a/mcp') } });
  assert.is(ledger, undefined);
});

test('a merged file keeps the tool\'s own keys, and drops what mai wrote before only while unchanged', () => {
  const file = { format: 'json' as const, merge: true };
  const first = renderToolConfig(file, [{ path: ['mcpServers', 'a'], value: entry('http://mcp-a/mcp') }, { path: ['mcpServers', 'b'], value: entry('http://mcp-b/mcp') }], {
    text: JSON.stringify({ theme: 'dark', mcpServers: { mine: entry('https://mine.test') } }),
    ledger: null,
  });
  assert.equal(JSON.parse(first.text), { theme: 'dark', mcpServers: { mine: entry('https://mine.test'), a: entry('http://mcp-a/mcp'), b: entry('http://mcp-b/mcp') } });
  // Meanwhile the user edits b; the next session asks for c only.
  const edited = JSON.parse(first.text) as { mcpServers: Record<string, unknown> };
  edited.mcpServers.b = entry('http://elsewhere/mcp');
  const second = renderToolConfig(file, [{ path: ['mcpServers', 'c'], value: entry('http://mcp-c/mcp') }], { text: JSON.stringify(edited), ledger: first.ledger! });
  assert.equal(JSON.parse(second.text), { theme: 'dark', mcpServers: { mine: entry('https://mine.test'), b: entry('http://elsewhere/mcp'), c: entry('http://mcp-c/mcp') } });
  // A session with none: c goes; mine (the user's) and b (edited since) stay.
  const third = renderToolConfig(file, [], { text: second.text, ledger: second.ledger! });
  assert.equal(JSON.parse(third.text), { theme: 'dark', mcpServers: { mine: entry('https://mine.test'), b: entry('http://elsewhere/mcp') } });
  const alone = renderToolConfig(file, [], { text: JSON.stringify({ mcpServers: { a: entry('http://mcp-a/mcp') } }), ledger: first.ledger! });
  assert.equal(JSON.parse(alone.text), {}, 'a map mai emptied goes too');
});

test('a merged YAML file keeps the user\'s comments', () => {
  const text = '# my goose settings\nGOOSE_MODE: smart_approve  # keep\nextensions:\n  mine:\n    type: stdio\n';
  const out = renderToolConfig({ format: 'yaml', merge: true }, [{ path: ['extensions', 'a'], value: { type: 'streamable_http', uri: 'http://mcp-a/mcp' } }], { text, ledger: null });
  assert.match(out.text, '# my goose settings');
  assert.match(out.text, 'GOOSE_MODE: smart_approve # keep');
  assert.match(out.text, 'uri: http://mcp-a/mcp');
  assert.match(out.text, 'mine:');
});

test('an unreadable file is left alone, and the user is told', async () => {
  const lines: string[] = [];
  const file = { path: '/home/mai/.claude/.claude.json', format: 'json' as const, merge: true, settings: [{ path: ['mcpServers', 'a'], value: {} }] };
  const files = await toolConfigFiles(file, async (path) => (path === file.path ? Buffer.from('{ not json') : null), (l) => lines.push(l));
  assert.equal(files, []);
  assert.match(lines.join('\n'), '/home/mai/.claude/.claude.json in the session cannot be read as json');
  const ok = await toolConfigFiles(file, async () => null, () => {});
  assert.equal(ok.map((f) => [f.path, f.mode, f.uid]), [[file.path, 0o600, 1000], [ledgerPath(file.path), 0o600, 1000]]);
});

test.run();
