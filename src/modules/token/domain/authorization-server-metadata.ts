import { DPOP_ALGORITHMS } from '../../../kernel/dpop-algorithms.js';
import { SIGNING_ALGORITHM } from './access-token.js';

/** Where each document and endpoint is served, relative to the issuer. */
export const METADATA_PATH = '/.well-known/oauth-authorization-server';
export const JWKS_PATH = '/.well-known/jwks.json';
export const REVOCATION_PATH = '/oauth/revoke';
export const INTROSPECTION_PATH = '/oauth/introspect';

export interface AuthorizationServerMetadata {
  readonly issuer: string;
  readonly jwks_uri: string;
  readonly response_types_supported: readonly string[];
  readonly grant_types_supported: readonly string[];
  readonly revocation_endpoint: string;
  readonly revocation_endpoint_auth_methods_supported: readonly string[];
  readonly introspection_endpoint?: string;
  readonly introspection_endpoint_auth_methods_supported?: readonly string[];
  readonly dpop_signing_alg_values_supported: readonly string[];
  readonly access_token_signing_alg_values_supported: readonly string[];
}

/**
 * RFC 8414 metadata describing what this service really does, so that a client library's
 * discovery finds the keys and the revocation and introspection endpoints.
 *
 * Tessera has no authorization or token endpoint: apps sign in and refresh through its own
 * GraphQL and REST API. So there are none here, and `response_types_supported` (REQUIRED) and
 * `grant_types_supported` are empty rather than omitted: an omitted `grant_types_supported`
 * means "authorization_code and implicit" (RFC 8414 §2), which would be untrue.
 * Revocation takes no client authentication (`none`: whoever holds a token may end its session);
 * introspection is listed only when it is enabled, with the one method it accepts, HTTP Basic.
 * `access_token_signing_alg_values_supported` is not a registered name (no RFC defines one for
 * access tokens); it says what the JWKS's `alg` already says, for readers who look here first.
 */
export function authorizationServerMetadata(issuer: string, options: { readonly introspection: boolean }): AuthorizationServerMetadata {
  // The endpoints sit under the issuer, path included: behind a proxy that serves Tessera at
  // https://example.com/auth, JWT_ISSUER=https://example.com/auth puts them where clients reach them.
  const base = issuer.replace(/\/+$/, '');
  return {
    issuer,
    jwks_uri: `${base}${JWKS_PATH}`,
    response_types_supported: [],
    grant_types_supported: [],
    revocation_endpoint: `${base}${REVOCATION_PATH}`,
    revocation_endpoint_auth_methods_supported: ['none'],
    ...(options.introspection
      ? { introspection_endpoint: `${base}${INTROSPECTION_PATH}`, introspection_endpoint_auth_methods_supported: ['client_secret_basic'] }
      : {}),
    dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
    access_token_signing_alg_values_supported: [SIGNING_ALGORITHM],
  };
}
