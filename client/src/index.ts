/**
 * Tessera client SDK: keeps an app signed in and every device's view of its sessions in sync.
 * Browser- and React Native-safe: nothing here imports a Node module (see ./node.js for those).
 */
export { SessionClient, type AuthorizationHeaders, type SessionClientOptions } from './session-client.js';
export { SessionSync, type SessionSyncOptions, type SessionSyncStatus } from './session-sync.js';
export {
  TokenRefresher,
  type RefreshRetryPolicy,
  type SignedOutReason,
  type TokenRefresherOptions,
  type TokenRefreshedInfo,
} from './token-refresher.js';
export { MemoryTokenStore, type StoredSession, type TokenStore } from './token-store.js';
export {
  accessTokenHash,
  createDpopProof,
  joseSignatureFromDer,
  jwkThumbprint,
  WebCryptoDeviceKey,
  type DeviceKey,
  type DeviceKeySigningContext,
  type DevicePublicJwk,
  type DpopProofRequest,
  type WebCryptoKeyPair,
} from './device-key.js';
export { IndexedDbDeviceKey, type IndexedDbDeviceKeyOptions } from './indexed-db-device-key.js';
export { DpopProofs } from './dpop-proofs.js';
export {
  isReauthenticationRequired,
  isTesseraError,
  NETWORK_ERROR,
  REAUTHENTICATION_REQUIRED,
  ReauthenticationRequiredError,
  SIGN_OUT_CODES,
  TesseraError,
  TRANSIENT_CODES,
} from './tessera-error.js';
export {
  GraphQLTransport,
  type ExecuteOptions,
  type FetchFunction,
  type GraphQLTransportOptions,
  type TypedDocumentText,
  type VariablesArgument,
} from './graphql-transport.js';
export {
  ACCESS_TOKEN_REFUSED_CLOSE_CODE,
  graphqlWsClientOptions,
  RENEW_AND_RECONNECT_CLOSE_CODE,
  SESSION_ENDED_CLOSE_CODE,
  type GraphQLWsClientOptions,
  type GraphQLWsClientOptionsSettings,
} from './graphql-ws-options.js';
export { applySessionEvent, sortSessions } from './session-list.js';
export type {
  AlertSeverity,
  ChangePasswordInput,
  DateTime,
  Device,
  DeviceInput,
  DeviceType,
  LoginInput,
  LoginResult,
  Role,
  Session,
  SessionAlert,
  SessionAlertType,
  SessionEndReason,
  SessionEvent,
  SessionEventType,
  SessionPayload,
  SessionStatus,
  TokenPair,
  User,
} from './types.js';
// The SDK's operations as typed document strings, with their result and variable types (GraphQL Code Generator).
export * from './generated/graphql.js';
