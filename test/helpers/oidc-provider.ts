/**
 * A real OpenID provider in-process (oidc-provider), set up the way an Authentik
 * application is: issuer `<base>/application/o/<slug>/`, confidential client with
 * client_secret_basic, PKCE required, `preferred_username` and `groups` in the ID
 * token (profile scope), refresh tokens for the client whatever the prompt, device flow.
 * Its dev interactions give plain HTML login and consent pages for a scripted browser.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

export const IDP_SLUG = 'mai';
export const IDP_CLIENT_ID = 'mai-service';
export const IDP_CLIENT_SECRET = 'test-client-secret-0123456789abcdef';

export interface TestIdp {
  /** `http://127.0.0.1:PORT/application/o/mai/` */
  issuer: string;
  /** `http://127.0.0.1:PORT` (Authentik's `auth.url`). */
  baseUrl: string;
  /** Groups per account; change them to see refresh pick it up. */
  groups: Map<string, string[]>;
  /** `preferred_username` per account (default: the account id); set one to another's name to try to take it. */
  usernames: Map<string, string>;
  /** Accounts the provider no longer knows (disabled users): their refreshes fail. */
  disabled: Set<string>;
  close(): Promise<void>;
}

export async function startTestIdp(options: { redirectUris: string[] }): Promise<TestIdp> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prefix = `/application/o/${IDP_SLUG}`;
  const issuer = `${baseUrl}${prefix}/`;
  const groups = new Map<string, string[]>();
  const usernames = new Map<string, string>();
  const disabled = new Set<string>();
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });

  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: IDP_CLIENT_ID,
        client_secret: IDP_CLIENT_SECRET,
        redirect_uris: options.redirectUris,
        grant_types: ['authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:device_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    async findAccount(_ctx: unknown, sub: string) {
      if (disabled.has(sub)) return undefined;
      return {
        accountId: sub,
        async claims() {
          return { sub, preferred_username: usernames.get(sub) ?? sub, name: sub, email: `${sub}@example.test`, groups: groups.get(sub) ?? [] };
        },
      };
    },
    claims: { openid: ['sub'], profile: ['preferred_username', 'name', 'groups'], email: ['email'] },
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    // Authentik puts the profile claims in the ID token itself.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    // Authentik issues refresh tokens for offline_access without forcing prompt=consent.
    async issueRefreshToken(_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) {
      return client.grantTypeAllowed('refresh_token');
    },
    features: { devInteractions: { enabled: true }, deviceFlow: { enabled: true } },
    cookies: { keys: ['test-cookie-key-not-secret'] },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      RefreshToken: 86400,
      DeviceCode: 600,
      Interaction: 600,
      Session: 3600,
      Grant: 3600,
    },
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test', alg: 'RS256', use: 'sig' }] },
  } as never);
  // oidc-provider logs every server_error to the console; tests read responses instead.
  provider.on('server_error', () => undefined);

  const callback = provider.callback();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    if (!url.startsWith(prefix)) {
      res.writeHead(404).end();
      return;
    }
    // Mounted under the issuer's path, like an express sub-app.
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = url;
    req.url = url.slice(prefix.length) || '/';
    callback(req, res);
  });

  return {
    issuer,
    baseUrl,
    groups,
    usernames,
    disabled,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A stand-in for the CLI's loopback listener (RFC 8252): the redirect target of a browser login. */
export async function startRedirectCatcher(): Promise<{ uri: string; next(): Promise<Record<string, string>>; close(): Promise<void> }> {
  let deliver: ((query: Record<string, string>) => void) | null = null;
  let pending: Promise<Record<string, string>> = new Promise((resolve) => (deliver = resolve));
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname !== '/callback') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain' }).end('login complete; return to your terminal');
    deliver?.(Object.fromEntries(url.searchParams));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  return {
    uri,
    async next() {
      const query = await pending;
      pending = new Promise((resolve) => (deliver = resolve));
      return query;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
