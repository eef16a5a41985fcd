import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { api } from './api-client.js';
import { describeClose, h, show, socketUrl } from './dom.js';

/** mai's WebSocket subprotocol (the server answers with it); the cookie authenticates. */
const PROTOCOL = 'mai.v1';

/**
 * A terminal in the session: xterm.js on GET /sessions/:id/terminal, the same attach
 * (tmux windows) as `ssh -t`. Keystrokes go as binary frames, the size as a JSON
 * control frame whenever the window changes. Returns what tears it down.
 */
export function showTerminal(header: HTMLElement, id: string): () => void {
  const state = h('span', { class: 'status', role: 'status' }, 'connecting…');
  const title = h('span', { class: 'title' }, id);
  const screen = h('div', { class: 'terminal', id: 'terminal' });
  show(header, h('nav', { class: 'bar' }, h('a', { href: '#/' }, '← sessions'), title, h('a', { href: `#/logs/${id}` }, 'logs'), state), screen);
  void api.session(id).then((s) => (title.textContent = `${s.name} (${s.driver})`)).catch(() => undefined);

  const term = new Terminal({ cursorBlink: true, fontFamily: 'monospace', fontSize: 14, lineHeight: 1.15, scrollback: 5000, theme: { background: '#101418' } });
  const fit = new FitAddon();
  term.loadAddon(fit);
  term.open(screen);
  fit.fit();
  const socket = new WebSocket(socketUrl(`/sessions/${encodeURIComponent(id)}/terminal?cols=${term.cols}&rows=${term.rows}`), [PROTOCOL]);
  socket.binaryType = 'arraybuffer';
  const encoder = new TextEncoder();
  const send = (data: string | Uint8Array<ArrayBuffer>) => {
    if (socket.readyState === WebSocket.OPEN) socket.send(data);
  };

  socket.onopen = () => {
    state.textContent = 'connected';
    term.focus();
  };
  socket.onmessage = (event: MessageEvent<ArrayBuffer>) => term.write(new Uint8Array(event.data));
  socket.onclose = (event) => {
    state.textContent = describeClose(event);
    state.className = event.code === 1000 ? 'status' : 'status error';
  };
  const typed = term.onData((data) => send(encoder.encode(data)));
  // Binary input (some mouse reports) is one byte per character code.
  const binary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
  const resized = term.onResize(({ cols, rows }) => send(JSON.stringify({ type: 'resize', cols, rows })));
  const onWindowResize = () => fit.fit();
  window.addEventListener('resize', onWindowResize);

  return () => {
    window.removeEventListener('resize', onWindowResize);
    typed.dispose();
    binary.dispose();
    resized.dispose();
    socket.close(1000, 'page left');
    term.dispose();
  };
}
