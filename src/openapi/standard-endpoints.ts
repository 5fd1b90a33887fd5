import type { OpenAPIObject, OperationObject, ResponseObject } from '@nestjs/swagger';
import { SECURITY } from './api-docs.decorators.js';

/**
 * The routes whose wire format another standard fixes: RFC 7009 and RFC 7662 (form-encoded
 * requests, RFC 6749 errors), RFC 7517 (the key set) and Prometheus's text format. Their handlers
 * take untyped forms and answer those formats, which the CLI plugin cannot read from a TypeScript
 * class, so they are described here, from the standards. Each description must meet a route the
 * app really registers (describeStandardEndpoints throws otherwise).
 */
const oauthError = (description: string, extra: Partial<ResponseObject> = {}): ResponseObject => ({
  description,
  content: {
    'application/json': {
      schema: {
        type: 'object',
        required: ['error'],
        properties: {
          error: { type: 'string', enum: ['invalid_request', 'invalid_client'] },
          error_description: { type: 'string' },
        },
      },
    },
  },
  ...extra,
});

const serviceUnavailable: ResponseObject = {
  description: 'SERVICE_UNAVAILABLE: the database does not answer; nothing was done. Retry after Retry-After.',
  headers: { 'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer' } } },
  content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
};

const tokenForm = (description: string) => ({
  required: true,
  content: {
    'application/x-www-form-urlencoded': {
      schema: {
        type: 'object' as const,
        required: ['token'],
        properties: {
          token: { type: 'string' as const, maxLength: 4096, description },
          token_type_hint: {
            type: 'string' as const,
            enum: ['refresh_token', 'access_token'],
            description: 'Where to look first; the token is found either way.',
          },
        },
      },
    },
  },
});

const STANDARD_ENDPOINTS: ReadonlyArray<{ method: 'get' | 'post'; path: string; operation: Partial<OperationObject> }> = [
  {
    method: 'get',
    path: '/.well-known/jwks.json',
    operation: {
      tags: ['keys'],
      summary: 'The public keys that verify access tokens (RFC 7517 JWK Set)',
      description:
        'Every key that signed a token still valid, the active one included. Cacheable for five minutes; fetch again on an unknown `kid`.',
      responses: {
        '200': {
          description: 'A JWK Set of RS256 public keys.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['keys'],
                properties: {
                  keys: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['kty', 'kid', 'n', 'e'],
                      properties: {
                        kty: { type: 'string', enum: ['RSA'] },
                        kid: { type: 'string', description: 'The key’s RFC 7638 thumbprint; access tokens name it in their header.' },
                        use: { type: 'string', enum: ['sig'] },
                        alg: { type: 'string', enum: ['RS256'] },
                        n: { type: 'string' },
                        e: { type: 'string' },
                      },
                    },
                  },
                },
              },
            },
          },
        },
      },
    },
  },
  {
    method: 'get',
    path: '/metrics',
    operation: {
      tags: ['operations'],
      summary: 'Prometheus metrics (text exposition format)',
      description: 'Unauthenticated, like /health: expose it only on the operators’ network.',
      responses: {
        '200': { description: 'The metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
      },
    },
  },
  {
    method: 'post',
    path: '/oauth/revoke',
    operation: {
      tags: ['oauth'],
      summary: 'Revoke a refresh or access token (RFC 7009)',
      description:
        'Ends the session the token belongs to. A refresh token of an earlier generation counts as reuse, as at refresh. ' +
        'The answer is the same whether or not the token was known. No client authentication: the token is the credential; ' +
        'a device-bound session ends only when the request carries a `DPoP` proof by its key.',
      security: [{}, { [SECURITY.dpopProof]: [] }],
      requestBody: tokenForm('The refresh token or access token to revoke.'),
      responses: {
        '200': {
          description: 'Revoked, or unknown: RFC 7009 tells the two apart for nobody.',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
        '400': oauthError('`invalid_request`: no `token` field.'),
        '503': serviceUnavailable,
      },
    },
  },
  {
    method: 'post',
    path: '/oauth/introspect',
    operation: {
      tags: ['oauth'],
      summary: 'Introspect an access token (RFC 7662)',
      description:
        'For other services, with the introspection client’s credentials (INTROSPECTION_CLIENT_ID and INTROSPECTION_CLIENT_SECRET) ' +
        'as HTTP Basic. A revoked, expired, idle, foreign or malformed token, or a refresh token, answers exactly `{"active":false}`.',
      security: [{ [SECURITY.introspectionClient]: [] }],
      requestBody: tokenForm('The access token to look at.'),
      responses: {
        '200': {
          description: 'The token’s state and, when active, its claims.',
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['active'],
                properties: {
                  active: { type: 'boolean' },
                  sub: { type: 'string' },
                  sid: { type: 'string' },
                  jti: { type: 'string' },
                  iat: { type: 'integer' },
                  exp: { type: 'integer' },
                  iss: { type: 'string' },
                  aud: { type: 'string' },
                  token_type: { type: 'string', enum: ['Bearer', 'DPoP'] },
                  roles: { type: 'array', items: { type: 'string' } },
                  scope: { type: 'string' },
                  cnf: {
                    type: 'object',
                    description: 'A device-bound token’s key (RFC 9449 §6.2).',
                    properties: { jkt: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        '400': oauthError('`invalid_request`: no `token` field.'),
        '401': oauthError('`invalid_client`: missing or wrong client credentials.', {
          headers: { 'WWW-Authenticate': { description: '`Basic realm="tessera-introspection"`.', schema: { type: 'string' } } },
        }),
        '404': oauthError('Introspection is not enabled on this service (no client configured).'),
        '503': serviceUnavailable,
      },
    },
  },
];

/** Replaces what the scanner could guess about these routes with what the standards say. */
export function describeStandardEndpoints(document: OpenAPIObject): void {
  for (const { method, path, operation } of STANDARD_ENDPOINTS) {
    const scanned = document.paths[path]?.[method];
    if (!scanned) throw new Error(`OpenAPI: ${method.toUpperCase()} ${path} is described, but the app has no such route`);
    Object.assign(scanned, operation);
  }
}
