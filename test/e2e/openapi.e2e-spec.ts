import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants.js';
import { ModulesContainer } from '@nestjs/core';
import { createConfig, lintFromString } from '@redocly/openapi-core';
import createClient from 'openapi-fetch';
import openapiTS, { astToString } from 'openapi-typescript';
import { registerUser, deviceInput } from '../factories/session.factory.js';
import { launchHeadlessChromium } from '../helpers/headless-chromium.js';
import { builtService, freePort, ServiceProcess } from '../helpers/service-process.js';
import { startTestApp, type TestApp } from '../helpers/test-app.js';
import { SWAGGER_PLUGIN_OPTIONS } from '../../src/openapi/swagger-plugin-options.js';

const run = promisify(execFile);
const root = join(import.meta.dirname, '..', '..');
const METHODS = ['get', 'put', 'post', 'patch', 'delete'] as const;

/** `POST /api/auth/session/create`, the way both the app and the document can be listed. */
type Route = string;

/** Every route of every Nest controller the app registered: its REST surface. */
function registeredRoutes(app: TestApp): Route[] {
  const routes: Route[] = [];
  for (const module of app.tessera.app.get(ModulesContainer).values()) {
    for (const { metatype } of module.controllers.values()) {
      if (!metatype) continue;
      const prefix = String(Reflect.getMetadata(PATH_METADATA, metatype) ?? '');
      const prototype = metatype.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (typeof handler !== 'function' || !Reflect.hasMetadata(METHOD_METADATA, handler)) continue;
        const method = RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod];
        const path = ['', prefix, String(Reflect.getMetadata(PATH_METADATA, handler))]
          .join('/')
          .replace(/\/+/g, '/')
          .replace(/(.)\/$/, '$1');
        routes.push(`${method} ${path}`);
      }
    }
  }
  return routes.sort();
}

function documentedRoutes(document: any): Route[] {
  return Object.entries(document.paths as Record<string, Record<string, unknown>>)
    .flatMap(([path, item]) => METHODS.filter((method) => item[method]).map((method) => `${method.toUpperCase()} ${path}`))
    .sort();
}

describe('OpenAPI for the REST mirror', () => {
  let app: TestApp;
  let document: any;

  beforeAll(async () => {
    app = await startTestApp({ INTROSPECTION_CLIENT_ID: 'orders-service', INTROSPECTION_CLIENT_SECRET: 'orders-secret' });
    const response = await fetch(`${app.baseUrl}/api/docs-json`);
    expect(response.status).toBe(200);
    document = await response.json();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('is a valid OpenAPI document: Redocly’s recommended rules find no error', async () => {
    const problems = await lintFromString({
      source: JSON.stringify(document),
      absoluteRef: `${app.baseUrl}/api/docs-json`,
      config: await createConfig({ extends: ['recommended'] }),
    });
    const errors = problems.filter((problem) => problem.severity === 'error');
    expect(errors.map((problem) => `${problem.ruleId}: ${problem.message} at ${problem.location[0]?.pointer}`)).toEqual([]);
  });

  it('documents every REST route the app registers, and no route it does not have', () => {
    expect(documentedRoutes(document)).toEqual(registeredRoutes(app));
    // GraphQL is described by its own schema, not here.
    expect(Object.keys(document.paths)).not.toContain('/graphql');
  });

  it('describes each route: a summary, its answers, and the error body of the service', () => {
    for (const [path, item] of Object.entries(document.paths as Record<string, any>)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const operation = item[method];
        expect({ route: `${method} ${path}`, summary: typeof operation.summary }).toEqual({
          route: `${method} ${path}`,
          summary: 'string',
        });
        expect(Object.keys(operation.responses).some((status) => status.startsWith('2'))).toBe(true);
      }
    }
    const create = document.paths['/api/auth/session/create'].post;
    expect(create.requestBody.content['application/json'].schema.$ref).toBe('#/components/schemas/CreateSessionInput');
    expect(create.responses['201'].content['application/json'].schema.$ref).toBe('#/components/schemas/SessionPayloadResponse');
    for (const status of ['400', '401', '429', '503']) {
      expect(create.responses[status].content['application/json'].schema.$ref).toBe('#/components/schemas/ErrorResponse');
    }
    // The class-validator rules and doc comments of the input classes, read by the CLI plugin.
    const device = document.components.schemas.DeviceInput;
    expect(device.required).toEqual(['deviceId', 'type']);
    expect(device.properties.deviceId).toMatchObject({ minLength: 8, maxLength: 200, description: expect.stringContaining('Keychain') });
    expect(document.components.schemas.CreateSessionInput.properties.email).toMatchObject({ format: 'email', maxLength: 254 });
    expect(document.components.schemas.ErrorDetail.properties.code.enum).toEqual(
      expect.arrayContaining(['RATE_LIMITED', 'INVALID_DPOP_PROOF']),
    );
  });

  it('names the credentials each route takes, and they are the ones the service asks for', async () => {
    const schemes = document.components.securitySchemes;
    expect(schemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(schemes.dpop).toMatchObject({ type: 'http', scheme: 'DPoP' });
    expect(schemes.dpopProof).toMatchObject({ type: 'apiKey', in: 'header', name: 'DPoP' });
    expect(schemes.introspectionClient).toMatchObject({ type: 'http', scheme: 'basic' });

    for (const [path, item] of Object.entries(document.paths as Record<string, any>)) {
      for (const method of METHODS.filter((m) => item[m])) {
        const { security = [], responses } = item[method];
        const needsToken = security.some((requirement: object) => 'bearer' in requirement);
        const answer = await fetch(`${app.baseUrl}${path}`, {
          method: method.toUpperCase(),
          headers: { authorization: 'Bearer not-a-token', 'content-type': 'application/json' },
          body: method === 'get' ? undefined : '{}',
        });
        await answer.arrayBuffer();
        const route = `${method.toUpperCase()} ${path}`;
        if (needsToken) {
          // RFC 6750 §3.1, and the document says so.
          expect({ route, status: answer.status, challenge: answer.headers.get('www-authenticate') }).toEqual({
            route,
            status: 401,
            challenge: 'Bearer realm="tessera", error="invalid_token"',
          });
          expect(responses['401'].headers['WWW-Authenticate'].description).toContain('error="invalid_token"');
        } else if (security.some((requirement: object) => 'introspectionClient' in requirement)) {
          expect({ route, status: answer.status, challenge: answer.headers.get('www-authenticate') }).toEqual({
            route,
            status: 401,
            challenge: 'Basic realm="tessera-introspection"',
          });
        } else {
          expect({ route, status: answer.status }).not.toEqual({ route, status: 401 });
        }
      }
    }
  });

  it('generates a TypeScript client that logs in, lists sessions and refreshes against the service', async () => {
    const types = astToString(await openapiTS(document));
    // Inside the repository, so that the type-check finds openapi-fetch in node_modules.
    const folder = join(root, '.build', `openapi-client-${process.pid}`);
    await mkdir(folder, { recursive: true });
    try {
      await writeFile(join(folder, 'schema.ts'), types);
      // The generated paths must type the calls this test makes below: a wrong body or path fails here.
      await writeFile(
        join(folder, 'client.ts'),
        [
          "import createClient from 'openapi-fetch';",
          "import type { paths } from './schema.js';",
          'export async function signIn(baseUrl: string, email: string, password: string) {',
          '  const client = createClient<paths>({ baseUrl });',
          "  const login = await client.POST('/api/auth/session/create', { body: { email, password, device: { deviceId: 'openapi-client-1', type: 'DESKTOP' } } });",
          '  const accessToken: string | undefined = login.data?.tokens.accessToken;',
          "  const active = await client.GET('/api/auth/session/active', { headers: { authorization: `Bearer ${accessToken}` } });",
          '  const ids: string[] | undefined = active.data?.sessions.map((session) => session.id);',
          "  const refreshed = await client.POST('/api/auth/session/refresh', { body: { refreshToken: login.data!.tokens.refreshToken } });",
          '  const code: string | undefined = refreshed.error?.error.code;',
          '  return { ids, code };',
          '}',
          '',
        ].join('\n'),
      );
      await writeFile(
        join(folder, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            target: 'ES2023',
            lib: ['ES2023', 'DOM'],
            module: 'nodenext',
            moduleResolution: 'nodenext',
            strict: true,
            noEmit: true,
            skipLibCheck: true,
            types: [],
          },
          files: ['client.ts'],
        }),
      );
      await run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(folder, 'tsconfig.json')], {
        cwd: folder,
      });
    } finally {
      await rm(folder, { recursive: true, force: true });
    }

    // The same calls at run time, with openapi-fetch over real HTTP.
    const user = await registerUser(app.graphql);
    const client = createClient<any>({ baseUrl: app.baseUrl });
    const login = await client.POST('/api/auth/session/create', {
      body: { email: user.email, password: user.password, device: deviceInput({ type: 'DESKTOP' }) },
    });
    expect(login.response.status).toBe(201);
    const active = await client.GET('/api/auth/session/active', {
      headers: { authorization: `Bearer ${login.data.tokens.accessToken}` },
    });
    expect(active.data.sessions.map((session: { id: string; current: boolean }) => [session.id, session.current])).toEqual([
      [login.data.session.id, true],
    ]);
    const refreshed = await client.POST('/api/auth/session/refresh', { body: { refreshToken: login.data.tokens.refreshToken } });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.data.tokens.refreshToken).not.toBe(login.data.tokens.refreshToken);
    // A field the body class does not have: refused with the documented error shape.
    const refused = await client.POST('/api/auth/session/refresh', {
      body: { refreshToken: login.data.tokens.refreshToken, unexpected: true },
    });
    expect(refused.response.status).toBe(400);
    expect(refused.error).toEqual({ error: { code: 'BAD_USER_INPUT', message: expect.any(String), fields: ['unexpected'] } });
  });

  it('serves Swagger UI from the service itself, and it renders under its content security policy', async () => {
    const page = await fetch(`${app.baseUrl}/api/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).not.toMatch(/(?:src|href)=["']?(?:https?:)?\/\//);
    const assets = [...html.matchAll(/(?:src|href)=["']?([^"' >]+)/g)].map((match) => new URL(match[1], page.url).href);
    expect(assets).toEqual(
      expect.arrayContaining(
        ['swagger-ui-bundle.js', 'swagger-ui.css', 'swagger-ui-init.js'].map((file) => `${app.baseUrl}/api/docs/${file}`),
      ),
    );
    for (const asset of assets) {
      expect(asset.startsWith(`${app.baseUrl}/api/docs/`)).toBe(true);
      expect({ asset, status: (await fetch(asset)).status }).toEqual({ asset, status: 200 });
    }
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");

    const chromium = await launchHeadlessChromium();
    try {
      const tracked = await chromium.newPage();
      const foreign: string[] = [];
      tracked.page.on('request', (request) => {
        if (!request.url().startsWith(app.baseUrl) && !request.url().startsWith('data:')) foreign.push(request.url());
      });
      await tracked.page.goto(`${app.baseUrl}/api/docs`);
      await tracked.page.getByText('/api/auth/session/create', { exact: true }).waitFor();
      await tracked.page.getByText('Tessera REST API').first().waitFor();
      expect(foreign).toEqual([]);
      expect(tracked.problems).toEqual([]);
      expect(tracked.console.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
    } finally {
      await chromium.close();
    }
  });

  it('is the same document from the compiled service, built by plain tsc from the committed plugin metadata', async () => {
    const service = new ServiceProcess(
      builtService(),
      {
        DATA_DIR: 'memory://',
        DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
        INTROSPECTION_CLIENT_ID: 'orders-service',
        INTROSPECTION_CLIENT_SECRET: 'orders-secret',
      },
      await freePort(),
    );
    await service.start(60_000);
    try {
      expect(await (await fetch(`${service.baseUrl}/api/docs-json`)).json()).toEqual(document);
    } finally {
      await service.stop();
    }
  });

  it('has committed plugin metadata that matches the sources, with the options nest-cli.json gives the plugin', async () => {
    const nestCli = JSON.parse(await readFile(join(root, 'nest-cli.json'), 'utf8'));
    const plugin = nestCli.compilerOptions.plugins.find((entry: { name: string }) => entry.name === '@nestjs/swagger');
    expect(plugin.options).toEqual(SWAGGER_PLUGIN_OPTIONS);
    // `npm run openapi:metadata -- --check`: exits non-zero when src/metadata.ts is stale.
    await run(process.execPath, [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'src/scripts/openapi-metadata.ts', '--check'], {
      cwd: root,
    });
  }, 180_000);
});

describe('OpenAPI in production', () => {
  const production = { NODE_ENV: 'production', JWT_ISSUER: 'https://auth.example.com', JWT_AUDIENCE: 'trading-api' };

  it('is not served unless API_DOCS=true asks for it', async () => {
    const app = await startTestApp(production);
    try {
      expect((await fetch(`${app.baseUrl}/api/docs-json`)).status).toBe(404);
      expect((await fetch(`${app.baseUrl}/api/docs`)).status).toBe(404);
    } finally {
      await app.close();
    }
  });

  it('runs under the production content security policy when asked for', async () => {
    const app = await startTestApp({ ...production, API_DOCS: 'true' });
    const chromium = await launchHeadlessChromium();
    try {
      const tracked = await chromium.newPage();
      await tracked.page.goto(`${app.baseUrl}/api/docs`);
      await tracked.page.getByText('/api/auth/session/refresh', { exact: true }).waitFor();
      expect(tracked.problems).toEqual([]);
      expect(tracked.console.filter((line) => /Content Security Policy|Refused to/i.test(line))).toEqual([]);
    } finally {
      await chromium.close();
      await app.close();
    }
  });
});
