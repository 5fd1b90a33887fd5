import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import { contentSecurityPolicy } from 'helmet';
import type { NestExpressApplication } from '@nestjs/platform-express';

/** Where the account page is served. */
export const ACCOUNT_PAGE_PATH = '/account';

/** The project root: the nearest folder above this module with a package.json (src/, dist/src/ or .build/service/src/). */
function projectRoot(): string {
  let folder = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(folder, 'package.json'))) {
    const parent = dirname(folder);
    if (parent === folder) throw new Error('Cannot find the project root to serve the account page from');
    folder = parent;
  }
  return folder;
}

/** Vite's output (web/vite.config.ts): `npm run build` writes it, and so does the tests' global setup. */
export function accountPageDirectory(): string {
  return join(projectRoot(), 'dist', 'web');
}

/** A Host header fit to be written into a CSP source (hostname or [IPv6], optional port). */
const SAFE_HOST = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * The page's own policy, in every environment: it loads only its own hashed files, has no inline
 * script or style, and talks only to this service over HTTP and graphql-ws. connect-src names the
 * WebSocket origin explicitly because not every browser lets 'self' cover ws:/wss:; both schemes,
 * since behind a TLS proxy the service may not know that the page was loaded over https.
 */
function accountPageCsp(production: boolean) {
  return contentSecurityPolicy({
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'"],
      connectSrc: [
        "'self'",
        (request: IncomingMessage) => {
          const host = request.headers.host ?? '';
          return SAFE_HOST.test(host) ? `ws://${host} wss://${host}` : '';
        },
      ],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
      ...(production ? { upgradeInsecureRequests: [] } : {}),
    },
  });
}

/** Vite puts a content hash in every asset's name; the HTML must be fetched again to find new ones. */
function cacheHeaders(assets: string) {
  return (response: ServerResponse, path: string) =>
    response.setHeader('Cache-Control', path.startsWith(assets) ? 'public, max-age=31536000, immutable' : 'no-cache');
}

/**
 * Serves the built account page (web/) at /account, with its content security policy. Helmet's
 * other headers come from the app-wide middleware as for every route; only the CSP is the page's
 * own (the app-wide one is off outside production because of Apollo Sandbox).
 */
export function serveAccountPage(app: NestExpressApplication, options: { production: boolean }): void {
  const directory = accountPageDirectory();
  app.use(ACCOUNT_PAGE_PATH, accountPageCsp(options.production));
  app.useStaticAssets(directory, {
    prefix: ACCOUNT_PAGE_PATH,
    index: 'index.html',
    fallthrough: true,
    dotfiles: 'ignore',
    setHeaders: cacheHeaders(join(directory, 'assets')),
  });
  // Reached only when the files are missing: say how to build them instead of a bare 404.
  app.use(ACCOUNT_PAGE_PATH, (request: Request, response: Response, next: NextFunction) => {
    if (request.path !== '/' || existsSync(join(directory, 'index.html'))) {
      next();
      return;
    }
    response
      .status(503)
      .type('text/plain')
      .send('The account page has not been built. Run `npm run build` (or `npm start`, which builds it) and reload.\n');
  });
}
