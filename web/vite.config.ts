// Builds the account page (web/) into dist/web, which the service serves at /account
// (src/account-page/). Everything the page needs is bundled: nothing is loaded from a CDN.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  base: '/account/',
  // No public/ folder: every asset goes through the bundle and gets a content hash.
  publicDir: false,
  resolve: {
    // The SDK from client/ (issue 8), compiled from source into the page's bundle.
    alias: { '@tessera/client': here('../client/src/index.ts') },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Keep the page free of inline scripts and styles so that its CSP needs no 'unsafe-inline'.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
  logLevel: 'warn',
});
