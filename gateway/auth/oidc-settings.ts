import type { ServiceConfig } from '../config/service-config.js';
import { MaiError } from '../errors.js';

/** Everything the OIDC relying party needs, resolved and checked once from `auth:`. */
export interface OidcSettings {
  issuer: URL;
  clientId: string;
  clientSecret: string;
  scopes: string[];
  usernameClaim: string;
  groupsClaim: string;
  adminGroup: string;
  allowInsecureRequests: boolean;
}

/**
 * The OIDC settings of `auth:`, or null for `provider: local`. Authentik's issuer is
 * `<url>/application/o/<slug>/` unless `issuer` names it explicitly.
 * Throws CONFIG_INVALID naming the missing field.
 */
export function oidcSettings(auth: ServiceConfig['auth']): OidcSettings | null {
  if (auth.provider === 'local') return null;
  const required = (field: 'clientId' | 'clientSecret'): string => {
    const value = auth[field];
    if (!value) throw new MaiError('CONFIG_INVALID', `auth.${field}: required when auth.provider is ${auth.provider}`);
    return value;
  };
  let issuerText = auth.issuer;
  if (!issuerText && auth.provider === 'authentik') {
    if (!auth.url || !auth.slug) {
      throw new MaiError('CONFIG_INVALID', 'auth.issuer: required, or auth.url and auth.slug (Authentik application slug)');
    }
    issuerText = `${auth.url.replace(/\/+$/, '')}/application/o/${encodeURIComponent(auth.slug)}/`;
  }
  if (!issuerText) throw new MaiError('CONFIG_INVALID', 'auth.issuer: required when auth.provider is oidc');
  let issuer: URL;
  try {
    issuer = new URL(issuerText);
  } catch {
    throw new MaiError('CONFIG_INVALID', `auth.issuer: not a URL: ${issuerText}`);
  }
  if (issuer.protocol !== 'https:' && !auth.allowInsecureRequests) {
    throw new MaiError('CONFIG_INVALID', 'auth.issuer: must be https (auth.allowInsecureRequests is for loopback tests only)');
  }
  return {
    issuer,
    clientId: required('clientId'),
    clientSecret: required('clientSecret'),
    scopes: [...auth.scopes],
    usernameClaim: auth.usernameClaim,
    groupsClaim: auth.groupsClaim,
    adminGroup: auth.adminGroup,
    allowInsecureRequests: auth.allowInsecureRequests,
  };
}
