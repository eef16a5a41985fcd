/**
 * mai's web UI: sign in, your sessions, a terminal, the logs. A hash router over
 * four views; every call is the REST API (or its WebSockets) with the sign-in cookie.
 */
import '@xterm/xterm/css/xterm.css';
import './style.css';
import { api, ApiError, type SessionView, type SignIn } from './api-client.js';
import { h, show } from './dom.js';
import { showLogs } from './logs-view.js';
import { showTerminal } from './terminal-view.js';

let me: SignIn | null = null;
/** Undoes what the current view set up (sockets, timers, listeners) before the next one shows. */
let leave: () => void = () => {};

function status(text = '', error = false): HTMLElement {
  return h('p', { class: error ? 'status error' : 'status', role: 'status' }, text);
}

function failure(err: unknown): string {
  return err instanceof ApiError ? `${err.message} [${err.code}]` : String(err);
}

function header(): HTMLElement {
  const signOut = async () => {
    await api.signOut().catch(() => undefined);
    location.hash = '#/';
    location.reload();
  };
  return h(
    'header',
    {},
    h('a', { href: '#/', class: 'brand' }, 'mai'),
    h('span', { class: 'who' }, `${me?.user ?? ''}${me?.admin ? ' (admin)' : ''}`),
    h('button', { type: 'button', onclick: () => void signOut() }, 'Sign out'),
  );
}

function showSignIn(): void {
  if (me?.signIn === 'oidc') {
    show(h('section', { class: 'sign-in' }, h('h1', {}, 'mai'), h('a', { class: 'button', href: '/ui/auth/login' }, 'Sign in with your identity provider')));
    return;
  }
  const message = status();
  const input = h('input', { type: 'password', name: 'token', autocomplete: 'current-password', placeholder: 'your mai token', required: true });
  const submit = async (event: Event) => {
    event.preventDefault();
    try {
      me = await api.signInWithToken(input.value);
      route();
    } catch (err) {
      message.textContent = failure(err);
      message.className = 'status error';
    }
  };
  show(h('section', { class: 'sign-in' }, h('h1', {}, 'mai'), h('form', { onsubmit: (e) => void submit(e) }, h('label', {}, 'Token ', input), h('button', { type: 'submit' }, 'Sign in')), message));
}

function sessionRow(session: SessionView, refresh: () => void, message: HTMLElement): HTMLElement {
  const close = async () => {
    if (!confirm(`Close session ${session.name}? Its container and everything in it go.`)) return;
    try {
      await api.closeSession(session.id);
      refresh();
    } catch (err) {
      message.textContent = failure(err);
    }
  };
  return h(
    'tr',
    { 'data-session': session.id },
    h('td', {}, session.name),
    h('td', { class: 'mono' }, session.id),
    h('td', {}, session.driver),
    h('td', { class: `state ${session.status}` }, session.status),
    h('td', {}, session.projectUrl ?? ''),
    h('td', {}, new Date(session.createdAt).toLocaleString()),
    h(
      'td',
      { class: 'actions' },
      h('a', { class: 'button', href: `#/terminal/${session.id}` }, 'Terminal'),
      h('a', { class: 'button', href: `#/logs/${session.id}` }, 'Logs'),
      h('button', { type: 'button', onclick: () => void close() }, 'Close'),
    ),
  );
}

async function showSessions(): Promise<void> {
  const message = status();
  const rows = h('tbody');
  const refresh = async () => {
    try {
      const sessions = await api.sessions();
      rows.replaceChildren(...sessions.map((s) => sessionRow(s, () => void refresh(), message)));
      if (sessions.length === 0) rows.append(h('tr', {}, h('td', { colspan: '7' }, 'No sessions yet.')));
    } catch (err) {
      message.textContent = failure(err);
    }
  };
  const driver = h('select', { name: 'driver' });
  const project = h('input', { name: 'project', list: 'projects', placeholder: 'git URL (optional)' });
  const name = h('input', { name: 'name', placeholder: 'name (optional)' });
  const projects = h('datalist', { id: 'projects' });
  const create = async (event: Event) => {
    event.preventDefault();
    message.textContent = 'Creating the session (a first use of a driver builds its image)…';
    try {
      const created = await api.createSession({
        driver: driver.value,
        ...(name.value ? { name: name.value } : {}),
        ...(project.value ? { projectUrl: project.value } : {}),
      });
      location.hash = `#/terminal/${created.id}`;
    } catch (err) {
      message.textContent = failure(err);
    }
  };
  show(
    header(),
    h(
      'section',
      {},
      h('h2', {}, 'New session'),
      h('form', { class: 'create', onsubmit: (e) => void create(e) }, h('label', {}, 'Driver ', driver), h('label', {}, 'Project ', project), projects, h('label', {}, 'Name ', name), h('button', { type: 'submit' }, 'Create')),
      message,
      h('h2', {}, 'Your sessions'),
      h('table', {}, h('thead', {}, h('tr', {}, ...['Name', 'Id', 'Driver', 'Status', 'Project', 'Created', ''].map((t) => h('th', {}, t)))), rows),
    ),
  );
  const [drivers, known] = await Promise.all([api.drivers().catch(() => []), api.projects()]);
  driver.replaceChildren(...drivers.map((d) => h('option', { value: d.name, title: d.description }, d.name)));
  projects.replaceChildren(...known.map((p) => h('option', { value: p.url })));
  await refresh();
  const timer = setInterval(() => void refresh(), 5000);
  leave = () => clearInterval(timer);
}

function route(): void {
  leave();
  leave = () => {};
  if (!me?.user) return showSignIn();
  const [, view, id] = location.hash.split('/');
  if (view === 'terminal' && id) leave = showTerminal(header(), id);
  else if (view === 'logs' && id) leave = showLogs(header(), id);
  else void showSessions();
}

window.addEventListener('hashchange', route);
api
  .signIn()
  .then((signIn) => {
    me = signIn;
    route();
  })
  .catch((err: unknown) => show(status(`Cannot reach the server: ${failure(err)}`, true)));
