import { STATUS_CODES } from 'node:http';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject, type OperationObject } from '@nestjs/swagger';
import { pageCsp } from '../http/page-csp.js';
import metadata from '../metadata.js';
import { errorResponsesOf, SECURITY } from './api-docs.decorators.js';
import { ErrorResponse } from './error.responses.js';
import { describeStandardEndpoints } from './standard-endpoints.js';

/** Swagger UI; the document itself is at `${API_DOCS_PATH}-json`. */
export const API_DOCS_PATH = '/api/docs';
export const API_DOCUMENT_PATH = `${API_DOCS_PATH}-json`;

/** `SessionController.create` → `sessionCreate`: unique, and readable as a generated client's method name. */
function operationIdOf(controllerKey: string, methodKey: string): string {
  const resource = controllerKey.replace(/Controller$/, '');
  return `${resource.charAt(0).toLowerCase()}${resource.slice(1)}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
}

/**
 * The plugin's metadata hands a route's `@remarks` to its success answer as well, where `nest
 * build`'s transformed code leaves it empty: both become the status's reason phrase, so that the
 * two builds give one document.
 */
function plainSuccessDescriptions(operation: OperationObject): void {
  for (const [status, response] of Object.entries(operation.responses)) {
    if (!status.startsWith('2') || !response || !('description' in response)) continue;
    if (response.description === '' || response.description === operation.description) {
      response.description = STATUS_CODES[Number(status)] ?? '';
    }
  }
}

/**
 * The OpenAPI document of the REST mirror, from the controllers as the app registered them. What
 * the CLI plugin read from the sources (bodies, answers, class-validator rules, doc comments)
 * comes from the committed src/metadata.ts, so that `nest build`, plain tsc and ts-jest all give
 * the same document.
 */
export async function buildOpenApiDocument(app: NestExpressApplication): Promise<OpenAPIObject> {
  await SwaggerModule.loadPluginMetadata(metadata);
  const config = new DocumentBuilder()
    .setTitle('Tessera REST API')
    .setDescription(
      'The REST mirror of Tessera’s GraphQL API (POST /graphql), and the endpoints for other services and operators. ' +
        'Errors of the service’s own routes are `{ "error": { "code", "message" } }` with the code clients branch on; ' +
        'the /oauth/* routes answer RFC 6749 errors. Every answer under /api/auth/session and /oauth carries `Cache-Control: no-store`.',
    )
    .setVersion('1')
    // Relative: the service's own origin, wherever it is deployed.
    .addServer('/')
    .addSecurity(SECURITY.bearer, {
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
      description: 'An access token from a login or refresh (RS256, RFC 9068), as `Authorization: Bearer <token>`.',
    })
    .addSecurity(SECURITY.dpop, {
      type: 'http',
      scheme: 'DPoP',
      description:
        'A device-bound session’s access token (`tokenType: "DPoP"`), as `Authorization: DPoP <token>`, always with a `DPoP` proof (RFC 9449).',
    })
    .addSecurity(SECURITY.dpopProof, {
      type: 'apiKey',
      in: 'header',
      name: 'DPoP',
      description:
        'A DPoP proof (RFC 9449): a JWT signed by the device key, naming this request’s method and URL (`htm`, `htu`), ' +
        'with a fresh `jti`, `iat`, the server’s nonce (from the `DPoP-Nonce` header) and, with an access token, its hash (`ath`).',
    })
    .addSecurity(SECURITY.introspectionClient, {
      type: 'http',
      scheme: 'basic',
      description: 'The introspection client’s id and secret (INTROSPECTION_CLIENT_ID, INTROSPECTION_CLIENT_SECRET).',
    })
    .addTag('sessions', 'Log in, refresh, list and end sessions.')
    .addTag('account', 'The account’s own operations: password change and step-up.')
    .addTag('oauth', 'For other services: revocation (RFC 7009) and introspection (RFC 7662).')
    .addTag('keys', 'The public keys that verify access tokens.')
    .addTag('operations', 'Health and metrics, for operators; keep them on the operators’ network.')
    .build();
  const routeOf = new Map<string, string>();
  const operationIdFactory = (controllerKey: string, methodKey: string) => {
    const operationId = operationIdOf(controllerKey, methodKey);
    routeOf.set(operationId, `${controllerKey}.${methodKey}`);
    return operationId;
  };
  const document = SwaggerModule.createDocument(app, config, { operationIdFactory, extraModels: [ErrorResponse] });
  for (const pathItem of Object.values(document.paths)) {
    for (const operation of [pathItem.get, pathItem.put, pathItem.post, pathItem.patch, pathItem.delete]) {
      if (!operation) continue;
      const route = operation.operationId && routeOf.get(operation.operationId);
      if (route) Object.assign(operation.responses, errorResponsesOf(route));
      plainSuccessDescriptions(operation);
    }
  }
  describeStandardEndpoints(document);
  return document;
}

/**
 * Swagger UI runs only our own copy of swagger-ui-dist: scripts from the service and no inline
 * script. Inline styles are allowed because the page Nest renders has a <style> block and a
 * style attribute of its own; style cannot run code.
 */
function apiDocsCsp() {
  return pageCsp({ styleSrc: ["'self'", "'unsafe-inline'"], fontSrc: ["'self'", 'data:'], connectSrc: ["'self'"] });
}

/**
 * Serves Swagger UI at /api/docs and the document at /api/docs-json, both public (they describe
 * only what the README already says). Must run before app.init(): routes added after it would sit
 * behind Nest's 404 handler.
 */
export async function serveApiDocs(app: NestExpressApplication): Promise<void> {
  const document = await buildOpenApiDocument(app);
  app.use(API_DOCS_PATH, apiDocsCsp());
  SwaggerModule.setup(API_DOCS_PATH, app, document, {
    jsonDocumentUrl: API_DOCUMENT_PATH,
    raw: ['json'],
    customSiteTitle: 'Tessera REST API',
    // No "Explore" box: the page shows this service's document only.
    explorer: false,
  });
}
