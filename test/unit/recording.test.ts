/**
 * Terminal recordings as asciicast v2, checked against the format's specification
 * (https://docs.asciinema.org/manual/asciicast/v2/) line by line (test/ssh/ssh-sharing.test.ts plays
 * one in the real `asciinema`): what `SessionService.attach` records when a terminal's process
 * writes, is resized and is typed into. The process is a stand-in at the transport (an
 * ExecProcess over in-memory streams); the recording code is the real one.
 */
import { utimesSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { ExecProcess } from '../../gateway/backend/backend.js';
import { noEvents } from '../../gateway/domain/events.js';
import { Recordings, type RecordingSettings } from '../../gateway/domain/recordings.js';
import { attachTerminal } from '../../gateway/domain/session-attach.js';
import { SessionClients } from '../../gateway/domain/session-clients.js';
import type { SessionRecord } from '../../gateway/domain/types.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('mai-recordings-');
test.after(() => dir.remove());

const session: SessionRecord = {
  id: 'abcdefghjk',
  name: 'demo',
  owner: 'alice',
  driver: 'base',
  image: 'mai/base:latest',
  status: 'running',
  containerId: 'c',
  projectUrl: null,
  spec: { envKeys: [], volumes: [], ports: [], limits: { cpus: 1, memoryMb: 512, pids: 64 } },
  createdAt: '2024-01-01T00:00:00.000Z',
  updatedAt: '2024-01-01T00:00:00.000Z',
};

/** A process at the far end of in-memory streams: `write` is its output, `typed` what reached its input. */
function fakeProcess() {
  const stdout = new PassThrough();
  const stdin = new PassThrough();
  const typed: Buffer[] = [];
  stdin.on('data', (c: Buffer) => typed.push(c));
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  const resizes: string[] = [];
  const proc: ExecProcess = {
    id: 'p',
    stdin,
    stdout,
    stderr: new PassThrough(),
    resize: async (c, r) => void resizes.push(`${c}x${r}`),
    signal: async () => {},
    kill: async () => {},
    wait: () => exited,
  };
  return { proc, write: (b: Buffer | string) => stdout.write(b), end: () => (stdout.end(), exit(0)), typed, resizes };
}

function settings(overrides: Partial<RecordingSettings> = {}): RecordingSettings {
  return { enabled: true, input: false, maxBytes: 1024 * 1024, retentionSeconds: 3600, ...overrides };
}

async function attach(recordings: Recordings, notices: string[] = []) {
  const fake = fakeProcess();
  const terminal = await attachTerminal(
    { events: noEvents, clients: new SessionClients(), recordings, exec: async () => fake.proc },
    session,
    ['mai-attach'],
    { cols: 100, rows: 30, term: 'xterm-256color', by: { name: 'bob', admin: true } },
    (line) => notices.push(line),
  );
  const shown: Buffer[] = [];
  terminal.stdout.on('data', (c: Buffer) => shown.push(c));
  return { fake, terminal, shown };
}

/** The file, parsed as the format says: a header object, then [time, code, data] events. */
function parseCast(path: string) {
  const lines = readFileSync(path, 'utf8').split('\n');
  assert.is(lines.at(-1), '', 'every line ends with a newline');
  const header = JSON.parse(lines[0]!) as Record<string, unknown>;
  const events = lines.slice(1, -1).map((line) => JSON.parse(line) as unknown[]);
  return { header, events };
}

async function settled(): Promise<void> {
  await new Promise((r) => setTimeout(r, 50));
}

test('a terminal attach is recorded as asciicast v2: header, output, resizes; no keystrokes by default', async () => {
  const recordings = new Recordings(join(dir.path, 'a'), settings());
  const notices: string[] = [];
  const { fake, terminal, shown } = await attach(recordings, notices);
  assert.match(notices.join('\n'), 'this terminal is recorded (output)');
  fake.write('$ echo hello\r\n');
  await new Promise((r) => setTimeout(r, 20));
  // "é" (c3 a9) and "€" (e2 82 ac) cut across chunks: recorded whole, in the later event.
  fake.write(Buffer.from([0x68, 0x69, 0x20, 0xc3]));
  fake.write(Buffer.from([0xa9, 0xe2, 0x82]));
  fake.write(Buffer.from([0xac, 0x0d, 0x0a, 0x1b, 0x5b, 0x30, 0x6d]));
  await terminal.resize(120, 40);
  await terminal.resize(99999, 0); // clamped like the terminal itself
  terminal.stdin.write('secret typed\r');
  fake.end();
  await terminal.wait();
  await settled();

  assert.is(Buffer.concat(shown).toString(), '$ echo hello\r\nhi é€\r\n\x1b[0m', 'the terminal sees its output unchanged');
  assert.is(Buffer.concat(fake.typed).toString(), 'secret typed\r', 'keystrokes reach the process');
  assert.equal(fake.resizes, ['120x40', '99999x0']);

  const files = readdirSync(join(dir.path, 'a', session.id)).sort();
  assert.equal(files, ['1-bob.cast', 'owner']);
  const { header, events } = parseCast(join(dir.path, 'a', session.id, '1-bob.cast'));
  assert.is(header.version, 2);
  assert.is(header.width, 100);
  assert.is(header.height, 30);
  assert.ok(Number.isInteger(header.timestamp) && Math.abs((header.timestamp as number) - Date.now() / 1000) < 60);
  assert.equal(header.env, { TERM: 'xterm-256color', SHELL: '/bin/bash' });
  assert.type(header.title, 'string');
  let last = 0;
  for (const event of events) {
    assert.is(event.length, 3);
    const [time, code, data] = event as [number, string, string];
    assert.type(time, 'number');
    assert.ok(time >= last, 'times never go back');
    last = time;
    assert.ok(['o', 'r'].includes(code), `code ${code}`);
    assert.type(data, 'string');
  }
  const output = events.filter((e) => e[1] === 'o').map((e) => e[2]).join('');
  assert.is(output, '$ echo hello\r\nhi é€\r\n\x1b[0m');
  assert.ok(!output.includes('\ufffd'), 'no character was split');
  assert.equal(events.filter((e) => e[1] === 'r').map((e) => e[2]), ['120x40', '4096x24']);
  assert.ok(!readFileSync(join(dir.path, 'a', session.id, '1-bob.cast'), 'utf8').includes('secret'), 'input is not recorded by default');
  assert.equal(
    recordings.list(session.id).map((r) => [r.n, r.user]),
    [[1, 'bob']],
  );
});

test('input recorded when asked ("i" events); notices recorded as output; numbers go up per attach', async () => {
  const recordings = new Recordings(join(dir.path, 'b'), settings({ input: true }));
  const notices: string[] = [];
  const first = await attach(recordings, notices);
  assert.match(notices.join('\n'), 'output and keystrokes');
  first.terminal.stdin.write('ls\r');
  (first.terminal as unknown as { notify(line: string): void }).notify('mai: a notice');
  first.fake.end();
  await first.terminal.wait();
  const second = await attach(recordings);
  second.fake.end();
  await second.terminal.wait();
  await settled();
  assert.equal(recordings.list(session.id).map((r) => r.n), [1, 2]);
  const { events } = parseCast(join(dir.path, 'b', session.id, '1-bob.cast'));
  assert.equal(events.filter((e) => e[1] === 'i').map((e) => e[2]), ['ls\r']);
  assert.match(events.filter((e) => e[1] === 'o').map((e) => e[2]).join(''), '\r\nmai: a notice\r\n');
});

test('a recording stops growing at its size cap, with whole events only; the terminal goes on', async () => {
  const recordings = new Recordings(join(dir.path, 'c'), settings({ maxBytes: 400 }));
  const { fake, terminal, shown } = await attach(recordings);
  for (let i = 0; i < 50; i++) fake.write(`line ${i} of output\r\n`);
  fake.end();
  await terminal.wait();
  await settled();
  assert.is(Buffer.concat(shown).toString().split('\r\n').length, 51);
  const path = join(dir.path, 'c', session.id, '1-bob.cast');
  assert.ok(readFileSync(path).length <= 400);
  const { events } = parseCast(path);
  assert.ok(events.length > 0 && events.length < 50);
});

test('recordings past their retention are pruned; the owner is kept while any remain', async () => {
  const recordings = new Recordings(join(dir.path, 'd'), settings({ retentionSeconds: 60 }));
  for (let i = 0; i < 2; i++) {
    const { fake, terminal } = await attach(recordings);
    fake.end();
    await terminal.wait();
  }
  await settled();
  const old = join(dir.path, 'd', session.id, '1-bob.cast');
  const past = new Date(Date.now() - 120_000);
  utimesSync(old, past, past);
  assert.is(recordings.prune(), 1);
  assert.equal(recordings.list(session.id).map((r) => r.n), [2]);
  assert.is(recordings.owner(session.id), 'alice');
  assert.is(recordings.prune(new Date(Date.now() + 120_000)), 1);
  assert.equal(recordings.list(session.id), []);
  assert.is(recordings.owner(session.id), null);
});

test.run();
