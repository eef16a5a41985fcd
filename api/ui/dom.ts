/** Builds DOM nodes. Text is always set as text, never parsed as HTML: session names are the user's. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string | boolean | ((event: Event) => void)>> = {},
  ...children: Array<Node | string | null>
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (typeof value === 'function') element.addEventListener(key.replace(/^on/, ''), value);
    else if (value === true) element.setAttribute(key, '');
    else if (typeof value === 'string') element.setAttribute(key, value);
  }
  for (const child of children) if (child !== null) element.append(child);
  return element;
}

/** Replaces what #app shows. */
export function show(...nodes: Node[]): void {
  document.getElementById('app')!.replaceChildren(...nodes);
}

/** `ws://` or `wss://` to this server, as the page was loaded. */
export function socketUrl(path: string): string {
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}${path}`;
}

/** What a WebSocket close means to a person (4000 + HTTP status, reason = mai's error code). */
export function describeClose(event: CloseEvent): string {
  const known: Record<number, string> = {
    4401: 'you are signed out; reload to sign in again',
    4403: 'refused',
    4404: 'no such session (or not yours)',
    4409: 'the session is not running',
  };
  if (event.code === 1000) return `closed (${event.reason || 'done'})`;
  const meaning = known[event.code] ?? (event.code >= 4000 ? 'failed' : 'connection lost');
  return `${meaning}${event.reason ? ` [${event.reason}]` : ''} (code ${event.code})`;
}
