/**
 * The page's calls to mai's REST API, made with the sign-in cookie. Changes carry
 * the CSRF token the server gave this page (see GET /ui/auth/session).
 */

export interface SignIn {
  signIn: 'token' | 'oidc';
  user: string | null;
  admin: boolean;
  csrfToken: string | null;
}

export interface SessionView {
  id: string;
  name: string;
  driver: string;
  status: string;
  projectUrl: string | null;
  createdAt: string;
}

export interface DriverView {
  name: string;
  description: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

let csrfToken: string | null = null;

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  const response = await fetch(path, { method, headers, credentials: 'same-origin', ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  if (response.status === 204) return undefined as T;
  const data = (await response.json().catch(() => ({}))) as { code?: string; message?: string };
  if (!response.ok) throw new ApiError(response.status, data.code ?? 'HTTP_ERROR', data.message ?? `HTTP ${response.status}`);
  return data as T;
}

function remember(signIn: SignIn): SignIn {
  csrfToken = signIn.csrfToken;
  return signIn;
}

export const api = {
  signIn: async () => remember(await call<SignIn>('GET', '/ui/auth/session')),
  signInWithToken: async (token: string) => remember(await call<SignIn>('POST', '/ui/auth/token', { token })),
  signOut: () => call<void>('POST', '/ui/auth/logout'),
  sessions: async () => (await call<{ sessions: SessionView[] }>('GET', '/sessions')).sessions,
  session: (id: string) => call<SessionView>('GET', `/sessions/${encodeURIComponent(id)}`),
  createSession: (request: { driver?: string; name?: string; projectUrl?: string }) => call<SessionView>('POST', '/sessions', request),
  closeSession: (id: string) => call<void>('DELETE', `/sessions/${encodeURIComponent(id)}`),
  drivers: async () => (await call<{ drivers: DriverView[] }>('GET', '/drivers')).drivers,
  projects: async () => (await call<{ projects: { url: string }[] }>('GET', '/projects').catch(() => ({ projects: [] }))).projects,
};
