import { describe, expect, it } from '@jest/globals';
import { DPOP_ALGORITHMS } from '../../../kernel/dpop-algorithms.js';
import { authorizationServerMetadata } from './authorization-server-metadata.js';

describe('authorizationServerMetadata', () => {
  it('names the keys, revocation and introspection under the issuer, with the methods each accepts', () => {
    expect(authorizationServerMetadata('https://auth.example.com', { introspection: true })).toEqual({
      issuer: 'https://auth.example.com',
      jwks_uri: 'https://auth.example.com/.well-known/jwks.json',
      response_types_supported: [],
      grant_types_supported: [],
      revocation_endpoint: 'https://auth.example.com/oauth/revoke',
      revocation_endpoint_auth_methods_supported: ['none'],
      introspection_endpoint: 'https://auth.example.com/oauth/introspect',
      introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      dpop_signing_alg_values_supported: [...DPOP_ALGORITHMS],
      access_token_signing_alg_values_supported: ['RS256'],
    });
  });

  it('leaves introspection out while it is off, since its endpoint then answers 404', () => {
    const metadata = authorizationServerMetadata('https://auth.example.com', { introspection: false });
    expect(metadata).not.toHaveProperty('introspection_endpoint');
    expect(metadata).not.toHaveProperty('introspection_endpoint_auth_methods_supported');
  });

  it('claims no authorization or token endpoint, and says so instead of leaving the defaults to imply one', () => {
    const metadata = authorizationServerMetadata('https://auth.example.com', { introspection: true });
    expect(metadata).not.toHaveProperty('authorization_endpoint');
    expect(metadata).not.toHaveProperty('token_endpoint');
    expect(metadata.grant_types_supported).toEqual([]);
  });

  it('keeps the issuer exactly as configured and puts endpoints under its path', () => {
    const metadata = authorizationServerMetadata('https://example.com/auth/', { introspection: false });
    expect(metadata.issuer).toBe('https://example.com/auth/');
    expect(metadata.jwks_uri).toBe('https://example.com/auth/.well-known/jwks.json');
    expect(metadata.revocation_endpoint).toBe('https://example.com/auth/oauth/revoke');
  });
});
