import { describeClose, h, show, socketUrl } from './dom.js';

/** How much of the log a newly opened page shows before following. */
const TAIL_LINES = 1000;

/**
 * The session's output, followed live over GET /sessions/:id/logs?follow=true as a
 * WebSocket (the same output and tail rules as the HTTP stream). Returns what tears it down.
 */
export function showLogs(header: HTMLElement, id: string): () => void {
  const state = h('span', { class: 'status', role: 'status' }, 'connecting…');
  const output = h('pre', { class: 'logs', id: 'logs' });
  show(header, h('nav', { class: 'bar' }, h('a', { href: '#/' }, '← sessions'), h('span', { class: 'title' }, `logs of ${id}`), h('a', { href: `#/terminal/${id}` }, 'terminal'), state), output);

  const socket = new WebSocket(socketUrl(`/sessions/${encodeURIComponent(id)}/logs?follow=true&tail=${TAIL_LINES}`), ['mai.v1']);
  socket.binaryType = 'arraybuffer';
  // Frames may split a character; the streaming decoder carries the rest over.
  const decoder = new TextDecoder();
  socket.onopen = () => (state.textContent = 'following');
  socket.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    const atBottom = output.scrollTop + output.clientHeight >= output.scrollHeight - 4;
    output.append(decoder.decode(new Uint8Array(event.data), { stream: true }));
    if (atBottom) output.scrollTop = output.scrollHeight;
  };
  socket.onclose = (event) => {
    state.textContent = describeClose(event);
    state.className = event.code === 1000 ? 'status' : 'status error';
  };
  return () => socket.close(1000, 'page left');
}
