import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { pageCsp } from '../http/page-csp.js';

/** Where the account page is served. */
export const ACCOUNT_PAGE_PATH = '/account';
/** Where the offline GraphQL explorer is served (Apollo Sandbox, which needs Apollo's CDN, stays at /graphql). */
export const GRAPHIQL_PATH = '/graphiql';
/** The pages' shared, content-hashed files (web/vite.config.ts's base). */
export const WEB_ASSETS_PATH = '/assets';

/** The project root: the nearest folder above this module with a package.json (src/, dist/src/ or .build/service/src/). */
function projectRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('Cannot find the project root to serve the web pages from');
    folder = parent;
  }
  return folder;
}

/** Vite's output (web/vite.config.ts): `npm run build` writes it, and so does the tests' global setup. */
export function webBuildDirectory(): string {
  return join(projectRoot(), 'dist', 'web');
}

/** A Host header fit to be written into a CSP source (hostname or [IPv6], optional port). */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * connect-src names the WebSocket origin explicitly because not every browser lets 'self' cover
 * ws:/wss:; both schemes, since behind a TLS proxy the service may not know that the page was
 * loaded over https.
 */
const thisServiceOverWebSocket = (request: IncomingMessage) => {
  const host = request.headers.host ?? '';
  return SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : '';
};

/** The policy both pages share, in every environment: connections only to this service over HTTP and graphql-ws. */
function webPageCsp(production: boolean, page: { styleSrc: string[]; fontSrc: string[]; workerSrc?: string[] }): RequestHandler {
  return pageCsp({ ...page, connectSrc: ["'self'", thisServiceOverWebSocket], upgradeInsecureRequests: production });
}

/** The account page has no inline style either. */
const accountPageCsp = (production: boolean) => webPageCsp(production, { styleSrc: ["'self'"], fontSrc: ["'self'"] });

/**
 * GraphiQL's editor (Monaco) writes <style> elements at run time for its themes and decorations,
 * which no hash or nonce can cover, and GraphiQL's stylesheet carries its fonts as data: URLs:
 * both are allowed on this page alone. Scripts stay 'self' only, and the editor's language
 * workers are files of ours (no blob: workers).
 */
const graphiqlCsp = (production: boolean) =>
  webPageCsp(production, { styleSrc: ["'self'", "'unsafe-inline'"], fontSrc: ["'self'", 'data:'], workerSrc: ["'self'"] });

/** Vite puts a content hash in every asset's name; the HTML must be fetched again to find new ones. */
function cacheHeaders(immutable: boolean) {
  return (response: ServerResponse) => response.setHeader('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/** One page: its folder's index.html at `path` (and `path/`), behind its own CSP. */
function servePage(app: NestExpressApplication, path: string, folder: string, csp: RequestHandler, name: string): void {
  app.use(path, csp);
  app.useStaticAssets(folder, {
    prefix: path,
    index: 'index.html',
    fallthrough: true,
    dotfiles: 'ignore',
    setHeaders: cacheHeaders(false),
  });
  // Reached only when the files are missing: say how to build them instead of a bare 404.
  app.use(path, (request: Request, response: Response, next: NextFunction) => {
    if (request.path !== '/' || existsSync(join(folder, 'index.html'))) {
      next();
      return;
    }
    response
      .status(503)
      .type('text/plain')
      .send(`The ${name} has not been built. Run \`npm run build\` (or \`npm start\`, which builds it) and reload.\n`);
  });
}

/**
 * Serves the two pages built from web/: the account page at /account and the GraphQL explorer
 * (GraphiQL) at /graphiql, each with its own content security policy, and their shared files at
 * /assets. Helmet's other headers come from the app-wide middleware as for every route; only the
 * CSP is each page's own (the app-wide one is off outside production because of Apollo Sandbox).
 * Both are served in production too: they are static, and every request they make meets the
 * same checks as any other client's (in production the explorer gets no schema for its docs and
 * completion, since the service refuses introspection there, but operations still run).
 */
export function serveWebPages(app: NestExpressApplication, options: { production: boolean }): void {
  const directory = webBuildDirectory();
  app.useStaticAssets(join(directory, 'assets'), {
    prefix: WEB_ASSETS_PATH,
    index: false,
    fallthrough: true,
    dotfiles: 'ignore',
    setHeaders: cacheHeaders(true),
  });
  servePage(app, ACCOUNT_PAGE_PATH, join(directory, 'account'), accountPageCsp(options.production), 'account page');
  servePage(app, GRAPHIQL_PATH, join(directory, 'graphiql'), graphiqlCsp(options.production), 'GraphQL explorer');
}
