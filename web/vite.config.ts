// Builds the two pages of web/ into dist/web in one build, nothing loaded from a CDN:
//   web/account/index.html  → dist/web/account/   the account page, served at /account
//   web/graphiql/index.html → dist/web/graphiql/  the offline GraphQL explorer, served at /graphiql
// and their shared, content-hashed files (React, the SDK, GraphiQL's editor and its web workers)
// → dist/web/assets/, served at /assets (src/web-pages/).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  root: here('.'),
  // Absolute asset URLs (/assets/…), so that each page finds them whatever its own path.
  base: '/',
  // No public/ folder: every asset goes through the bundle and gets a content hash.
  publicDir: false,
  resolve: {
    // The SDK from client/ (issue 8), compiled from source into the page's bundle.
    alias: { '@tessera/client': here('../client/src/index.ts') },
  },
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  // GraphiQL's editor (Monaco) runs its language services in workers: bundled as files of their
  // own, so that the explorer's CSP can allow workers from 'self' only.
  worker: { format: 'es' },
  build: {
    outDir: here('../dist/web'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Keep the pages free of inline scripts and styles so that their CSP needs no 'unsafe-inline' for them.
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    rollupOptions: {
      input: { account: here('account/index.html'), graphiql: here('graphiql/index.html') },
    },
    // GraphiQL's editor is a few MB whatever one does; the account page does not load it.
    chunkSizeWarningLimit: 5_000,
  },
  logLevel: 'warn',
});
