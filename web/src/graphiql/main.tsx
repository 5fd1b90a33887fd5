// The offline GraphQL explorer at /graphiql: GraphiQL bundled with its editor and workers, so
// that it works with no internet access, unlike Apollo Sandbox at /graphql (Apollo's CDN).
import 'graphiql/setup-workers/vite';
import 'graphiql/style.css';
import { GraphiQL } from 'graphiql';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { EXAMPLE_TABS } from './examples.js';
import { tesseraFetcher } from './fetcher.js';
import { localStorageOrNull, storageWithoutHeaders } from './storage.js';
import './graphiql.css';

const fetcher = tesseraFetcher(window.location);
const storage = storageWithoutHeaders(localStorageOrNull());

createRoot(document.getElementById('graphiql')!).render(
  <StrictMode>
    {/* Headers are never stored: an access token pasted into the header editor is gone with the
        tab, while the operations and their history stay in localStorage. */}
    <GraphiQL
      fetcher={fetcher}
      storage={storage}
      defaultTabs={EXAMPLE_TABS}
      shouldPersistHeaders={false}
      showPersistHeadersSettings={false}
      defaultEditorToolsVisibility="headers"
    />
  </StrictMode>,
);
