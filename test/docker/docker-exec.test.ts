import { rejectedBy } from '../helpers/errors.js';
import { createHash } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DockerBackend } from '../../gateway/backend/docker-backend.js';
import {
  cleanUp, collect, ensureBaseImage, newRunId, processList, run, startContainer, testSpec, waitForText,
} from './docker-fixtures.js';

const runId = newRunId();
const backend = new DockerBackend();
let id = '';

const exec = suite('docker backend: exec');

exec.before(async () => {
  await ensureBaseImage(backend);
  id = await startContainer(backend, testSpec(runId, 'exec', { env: { FOO: 'bar' } }));
});

exec.after(async () => {
  await cleanUp(runId);
});

exec('non-TTY: stdout and stderr separate, non-zero exit code', async () => {
  const res = await run(backend, id, ['sh', '-c', 'echo out; echo err >&2; exit 3']);
  assert.is(res.stdout, 'out\n');
  assert.is(res.stderr, 'err\n');
  assert.is(res.code, 3);
});

exec('non-TTY: runs as mai in /app, with the container env', async () => {
  const res = await run(backend, id, ['sh', '-c', 'id -un; pwd; printenv FOO']);
  assert.is(res.stdout, 'mai\n/app\nbar\n');
  assert.is(res.code, 0);
});

exec('non-TTY: stdin is piped and its EOF reaches the process', async () => {
  const res = await run(backend, id, ['wc', '-c'], { input: 'hello world' });
  assert.is(res.stdout.trim(), '11');
  assert.is(res.code, 0);
});

exec('non-TTY: 20 MB of output arrives intact', async () => {
  const proc = await backend.exec(id, {
    cmd: ['sh', '-c', 'head -c 20971520 /dev/urandom > /tmp/big && cat /tmp/big && sha256sum /tmp/big >&2'],
    tty: false,
  });
  proc.stdin.end();
  const [out, err, code] = await Promise.all([collect(proc.stdout), collect(proc.stderr), proc.wait()]);
  assert.is(code, 0);
  assert.is(out.length, 20 * 1024 * 1024);
  assert.is(createHash('sha256').update(out).digest('hex'), err.toString().split(' ')[0]);
});

exec('exec processes are session and process group leaders (runc setsid)', async () => {
  // Fields after "(comm)": state ppid pgrp session ...; $$ of sh is the exec'd process itself.
  const res = await run(backend, id, ['sh', '-c', 's=$(cat /proc/$$/stat); set -- ${s##*) }; echo $$ $3 $4']);
  const [pid, pgrp, sid] = res.stdout.trim().split(' ');
  assert.is(pgrp, pid);
  assert.is(sid, pid);
});

exec('TTY: exit code, and output not cut short by the client ending stdin', async () => {
  const proc = await backend.exec(id, { cmd: ['sh', '-c', 'sleep 0.3; seq 1 20000; exit 5'], tty: true });
  const out = collect(proc.stdout);
  proc.stdin.end();
  assert.is(await proc.wait(), 5);
  const text = (await out).toString();
  assert.ok(text.includes('\n20000'), 'last line present');
  assert.is((await collect(proc.stderr)).length, 0);
});

exec('TTY: initial size applied before the command starts, then resize', async () => {
  const proc = await backend.exec(id, {
    cmd: ['sh', '-c', 'stty size; echo ready; read line; stty size'],
    tty: true,
    cols: 123,
    rows: 45,
  });
  const sink: Buffer[] = [];
  await waitForText(proc.stdout, 'ready', sink);
  assert.ok(Buffer.concat(sink).toString().startsWith('45 123'), Buffer.concat(sink).toString());
  await proc.resize(100, 30);
  proc.stdin.write('\n');
  await waitForText(proc.stdout, '30 100', sink);
  assert.is(await proc.wait(), 0);
});

exec('signal(INT) reaches the process', async () => {
  const proc = await backend.exec(id, {
    cmd: ['sh', '-c', 'trap "echo got-int; exit 7" INT; echo ready; while :; do sleep 0.1; done'],
    tty: false,
  });
  const all = collect(proc.stdout);
  await waitForText(proc.stdout, 'ready');
  await proc.signal('INT');
  assert.is(await proc.wait(), 7);
  assert.is((await all).toString(), 'ready\ngot-int\n');
});

exec('signal() refuses unknown signal names', async () => {
  const proc = await backend.exec(id, { cmd: ['true'], tty: false });
  proc.stdin.end();
  assert.is((await rejectedBy(() => proc.signal('NOPE; rm -rf /'))).code, 'INPUT_INVALID');
  await proc.wait();
});

for (const tty of [false, true]) {
  exec(`kill() after the client is gone leaves no process behind (tty=${tty})`, async () => {
    // Background job, foreground job, and (tty) job control giving each its own process group.
    const cmd = tty
      ? ['bash', '-ic', 'sleep 1001 & sleep 1002 & sleep 1003']
      : ['sh', '-c', 'sleep 1001 & (sleep 1002 &) ; sleep 1003'];
    const proc = await backend.exec(id, { cmd, tty });
    // The client reads nothing and never ends stdin: it just disappears.
    await new Promise((r) => setTimeout(r, 500));
    const before = await processList(backend, id);
    assert.ok(before.some((l) => l.startsWith('sleep 1003')), before.join('\n'));
    await proc.kill();
    const after = await processList(backend, id);
    assert.not.ok(after.some((l) => /^sleep 100[123]/.test(l)), after.join('\n'));
    assert.is.not(await proc.wait(), 0);
  });
}

exec('kill() right after exec() (before mai-exec wrote its PID) still kills', async () => {
  const proc = await backend.exec(id, { cmd: ['sh', '-c', 'sleep 1004 & sleep 1005'], tty: false });
  await proc.kill();
  const after = await processList(backend, id);
  assert.not.ok(after.some((l) => /^sleep 100[45]/.test(l)), after.join('\n'));
  await proc.wait();
});

exec.run();
