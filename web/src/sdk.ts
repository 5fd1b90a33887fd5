// The one place the page imports the SDK (client/, issue 8), bundled from source through the
// '@tessera/client' alias in vite.config.ts and tsconfig.json.
export {
  isReauthenticationRequired,
  MemoryTokenStore,
  ReauthenticationRequiredError,
  SessionClient,
  SessionSync,
  sortSessions,
  TesseraError,
} from '@tessera/client';
export type { Device, DeviceInput, Session, SessionAlert, SessionEvent, StoredSession, TokenStore, User } from '@tessera/client';
