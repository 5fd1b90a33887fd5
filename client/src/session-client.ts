import {
  errorCodeOf,
  GraphQLTransport,
  readJson,
  withoutDeviceKey,
  type FetchFunction,
  type TypedDocumentText,
  type VariablesArgument,
} from './graphql-transport.js';
import {
  TesseraAcknowledgeAlertDocument,
  TesseraActiveSessionsDocument,
  TesseraAlertsDocument,
  TesseraChangePasswordDocument,
  TesseraDevicesDocument,
  TesseraDisableUserDocument,
  TesseraEnableUserDocument,
  TesseraLoginDocument,
  TesseraLogoutDocument,
  TesseraMeDocument,
  TesseraReauthenticateDocument,
  TesseraRegisterDocument,
  TesseraRemoveDeviceDocument,
  TesseraRenameDeviceDocument,
  TesseraReportAlertDocument,
  TesseraRevokeAllSessionsDocument,
  TesseraRevokeSessionDocument,
  TesseraSetUserRolesDocument,
  TesseraTrustDeviceDocument,
  TesseraUntrustDeviceDocument,
} from './generated/graphql.js';
import { accessTokenKeyThumbprint } from './access-token-lifetime.js';
import type { DeviceKey } from './device-key.js';
import { isNonceChallenge } from './dpop-proofs.js';
import { isTesseraError, SIGN_OUT_CODES, TesseraError, TRANSIENT_CODES } from './tessera-error.js';
import { TokenRefresher, type RefreshRetryPolicy, type SignedOutReason } from './token-refresher.js';
import type { TokenStore } from './token-store.js';
import type { ChangePasswordInput, Device, LoginInput, LoginResult, Role, Session, SessionAlert, User } from './types.js';

export interface SessionClientOptions {
  /** The service's base URL, e.g. http://127.0.0.1:3000 (GraphQL at /graphql, graphql-ws on the same path). */
  readonly url: string;
  /** Where the refresh token lives between app starts. */
  readonly store: TokenStore;
  /** The device's clock in milliseconds; tests inject one they can move. */
  readonly now?: () => number;
  readonly fetch?: FetchFunction;
  /** Share of an access token's lifetime after which it is renewed; default 0.8. */
  readonly refreshMargin?: number;
  /** Backoff of a refresh that met a network failure; default 5 tries from 0.5 s, doubling, at most 8 s apart. */
  readonly refreshRetry?: Partial<RefreshRetryPolicy>;
  /** How often to look whether a proactive refresh is due; default 15 s, 0 turns it off. */
  readonly refreshCheckIntervalMs?: number;
  /**
   * The device's key (DPoP, RFC 9449): logins bind the session to it, and every refresh and
   * request proves it, so a copied refresh token is worthless elsewhere. Without it, sessions are Bearer.
   */
  readonly deviceKey?: DeviceKey;
}

/** A nonce older than this is fetched again before a step-up, so that the proof the user unlocks is not refused as stale. */
const STEP_UP_NONCE_MAX_AGE_MS = 60_000;

/**
 * The app's handle on its session: log in, restore after a restart, the contract's queries and
 * mutations with a valid access token attached, and an authorized fetch for the app's own APIs.
 */
export class SessionClient {
  readonly refresher: TokenRefresher;
  readonly url: string;
  private readonly transport: GraphQLTransport;
  private readonly fetchImpl: FetchFunction;

  constructor(options: SessionClientOptions) {
    this.url = options.url;
    // Bound: a bare global fetch called as a method of another object throws "Illegal invocation" in browsers.
    this.fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.transport = new GraphQLTransport(options.url, this.fetchImpl, { deviceKey: options.deviceKey, now: options.now });
    this.refresher = new TokenRefresher({
      transport: this.transport,
      store: options.store,
      now: options.now,
      refreshMargin: options.refreshMargin,
      retry: options.refreshRetry,
      checkIntervalMs: options.refreshCheckIntervalMs,
    });
  }

  /** The session this client is signed in with, or null. */
  get currentSessionId(): string | null {
    return this.refresher.sessionId;
  }

  /** This client's device (the contract's Device id), once known: after login, or after restore() reached the service. */
  get currentDeviceId(): string | null {
    return this.refresher.deviceId;
  }

  /** The key this client binds its sessions to, if it was given one. */
  get deviceKey(): DeviceKey | undefined {
    return this.transport.proofs?.key;
  }

  /** Whether the session in hand is bound to the device key (known once an access token arrived: after login or restore()). */
  get deviceBound(): boolean {
    return this.refresher.deviceBound;
  }

  /** The GraphQL endpoint, for SessionSync (which turns it into ws:// or wss://). */
  get graphqlUrl(): string {
    return this.transport.graphqlUrl;
  }

  /** Creates an account (no session: log in afterwards). Passwords need 12 to 128 characters. */
  async register(input: { email: string; password: string }): Promise<User> {
    const variables = { input: { email: input.email, password: input.password } };
    return (await this.transport.execute(TesseraRegisterDocument, variables)).register;
  }

  /**
   * Logs in with a password and keeps the session in the store. The tokens stay inside the SDK.
   * With a device key, the session is bound to it (`session.deviceBound`).
   */
  async login(input: LoginInput): Promise<LoginResult> {
    const data = await this.transport.execute(TesseraLoginDocument, { input }, undefined, { deviceProof: true });
    const payload = data.createSession;
    await this.refresher.begin(payload);
    return { user: payload.user, session: payload.session };
  }

  /**
   * At app start: true when the store holds a session the service still accepts (the user need
   * not log in). A stored session the service refuses is cleared (onSignedOut fires) and gives
   * false. Offline, a stored session gives true: it is tried again with the first request.
   */
  async restore(): Promise<boolean> {
    if (!(await this.refresher.resume())) return false;
    try {
      await this.refresher.getAccessToken();
      return true;
    } catch (error) {
      if (error instanceof TesseraError && (TRANSIENT_CODES.has(error.code) || error.code === 'RATE_LIMITED')) return true;
      if (error instanceof TesseraError && SIGN_OUT_CODES.has(error.code)) return false;
      throw error;
    }
  }

  /**
   * Ends this session on the service and forgets it here. Forgotten here even when the service
   * cannot be told: the user asked to be signed out of this device.
   */
  async logout(): Promise<void> {
    try {
      if (this.refresher.signedIn) await this.request(TesseraLogoutDocument);
    } catch (error) {
      if (!(error instanceof TesseraError)) throw error;
    } finally {
      await this.refresher.signOut('LOGOUT');
    }
  }

  async me(): Promise<User> {
    return (await this.request(TesseraMeDocument)).me;
  }

  async activeSessions(): Promise<Session[]> {
    return (await this.request(TesseraActiveSessionsDocument)).activeSessions;
  }

  async devices(): Promise<Device[]> {
    return (await this.request(TesseraDevicesDocument)).devices;
  }

  async alerts(options: { unacknowledgedOnly?: boolean } = {}): Promise<SessionAlert[]> {
    const data = await this.request(TesseraAlertsDocument, { unacknowledgedOnly: options.unacknowledgedOnly ?? false });
    return data.sessionAlerts;
  }

  async acknowledgeAlert(alertId: string): Promise<SessionAlert> {
    return (await this.request(TesseraAcknowledgeAlertDocument, { alertId })).acknowledgeAlert;
  }

  /**
   * "This wasn't me": the service ends the session the alert names, untrusts its device and
   * acknowledges the alert. Resolves to the acknowledged alert; when the alert named this
   * device's own session, this client is signed out.
   */
  async reportAlert(alertId: string): Promise<SessionAlert> {
    const alert = (await this.request(TesseraReportAlertDocument, { alertId })).reportAlert;
    if (alert.sessionId !== null && alert.sessionId === this.currentSessionId) await this.refresher.signOut('SESSION_REVOKED');
    return alert;
  }

  /**
   * Changes the password. Every other session of the user ends (PASSWORD_CHANGED); this one
   * stays signed in. Resolves to how many sessions ended. A new password the service refuses
   * (too short, the current one, the email) is BAD_USER_INPUT with `fields`; a wrong current
   * password is INVALID_CREDENTIALS.
   */
  async changePassword(input: ChangePasswordInput): Promise<number> {
    const variables = { input: { currentPassword: input.currentPassword, newPassword: input.newPassword } };
    return (await this.request(TesseraChangePasswordDocument, variables)).changePassword;
  }

  /**
   * A fresh proof of identity, the answer to a ReauthenticationRequiredError: afterwards the
   * operation that asked for it goes through. The service answers with new tokens for the same
   * session, which replace the stored ones as a refresh's would. Resolves to the session, whose
   * `authenticatedAt` is now. A wrong password is INVALID_CREDENTIALS and changes nothing.
   */
  reauthenticate(password: string): Promise<Session> {
    return this.reissue({ password }, false);
  }

  /**
   * Step-up with the device key instead of a password, on a bound session: the service takes a
   * fresh proof by the key as the user's proof of presence, so on a phone the key asks for Face
   * ID or a fingerprint first (the DeviceKey's `sign` sees `stepUp: true`). Resolves to the
   * session, whose `authenticatedAt` is now. An unbound session is refused as it would be without
   * a password (BAD_USER_INPUT).
   */
  async reauthenticateWithDeviceKey(): Promise<Session> {
    const proofs = this.transport.proofs;
    if (!proofs) throw new TypeError('reauthenticateWithDeviceKey needs a SessionClient with a deviceKey');
    // The service wants this proof to carry a nonce it handed out lately; one more silent request
    // brings a current one, so that the user unlocks the key once rather than twice.
    if (proofs.nonceAgeMs(this.graphqlUrl) > STEP_UP_NONCE_MAX_AGE_MS) await this.me();
    return this.reissue({}, true);
  }

  private async reissue(input: { password?: string }, stepUp: boolean): Promise<Session> {
    let sentWith: string | undefined;
    const exchange = async (accessToken: string) => {
      sentWith = accessToken;
      try {
        const data = await this.transport.execute(TesseraReauthenticateDocument, { input }, accessToken, { stepUp });
        return data.reauthenticate;
      } catch (error) {
        if (error instanceof TesseraError) await this.signOutIfEnded(error.code);
        throw error;
      }
    };
    try {
      return (await this.refresher.reissue(exchange)).session;
    } catch (error) {
      if (!isTesseraError(error, 'TOKEN_EXPIRED') || sentWith === undefined) throw error;
    }
    // As in request(): the device's clock is behind the service's; renew and send once more.
    this.refresher.invalidate(sentWith);
    return (await this.refresher.reissue(exchange)).session;
  }

  /** Ends one of the user's sessions; ending this device's own session signs it out. */
  async revokeSession(sessionId: string): Promise<Session> {
    const session = (await this.request(TesseraRevokeSessionDocument, { sessionId })).revokeSession;
    if (sessionId === this.currentSessionId) await this.refresher.signOut('SESSION_REVOKED');
    return session;
  }

  /**
   * Ends the user's sessions; with exceptCurrent this device stays signed in. Resolves to how
   * many ended. Without exceptCurrent it is a sensitive operation (ReauthenticationRequiredError).
   */
  async revokeAllSessions(options: { exceptCurrent: boolean }): Promise<number> {
    const data = await this.request(TesseraRevokeAllSessionsDocument, { input: { exceptCurrent: options.exceptCurrent } });
    if (!options.exceptCurrent) await this.refresher.signOut('SESSION_REVOKED');
    return data.revokeAllSessions;
  }

  /**
   * "Sign out everywhere": ends every session of the user, this one included, so this client is
   * signed out too. Resolves to how many ended. Sensitive (ReauthenticationRequiredError).
   */
  signOutEverywhere(): Promise<number> {
    return this.revokeAllSessions({ exceptCurrent: false });
  }

  /** Sensitive (ReauthenticationRequiredError): a trusted device stays signed in longer. */
  async trustDevice(deviceId: string): Promise<Device> {
    return (await this.request(TesseraTrustDeviceDocument, { deviceId })).trustDevice;
  }

  /** Untrusting a device ends its sessions; untrusting this one signs it out. */
  async untrustDevice(deviceId: string): Promise<Device> {
    const device = (await this.request(TesseraUntrustDeviceDocument, { deviceId })).untrustDevice;
    if (deviceId === this.refresher.deviceId) await this.refresher.signOut('SESSION_REVOKED');
    return device;
  }

  /** The user's own name for a device, shown on every device; the app's name for it no longer replaces it. */
  async renameDevice(deviceId: string, name: string): Promise<Device> {
    return (await this.request(TesseraRenameDeviceDocument, { deviceId, name })).renameDevice;
  }

  /**
   * Forgets a device: its sessions end (DEVICE_REMOVED), and should it sign in again it is a new
   * device. Removing this one signs it out. Sensitive (ReauthenticationRequiredError).
   */
  async removeDevice(deviceId: string): Promise<boolean> {
    const removed = (await this.request(TesseraRemoveDeviceDocument, { deviceId })).removeDevice;
    if (deviceId === this.refresher.deviceId) await this.refresher.signOut('SESSION_REVOKED');
    return removed;
  }

  /**
   * Admins only: the account can no longer sign in and its sessions end (ACCOUNT_DISABLED).
   * Sensitive (ReauthenticationRequiredError).
   */
  async disableUser(userId: string): Promise<User> {
    return (await this.request(TesseraDisableUserDocument, { userId })).disableUser;
  }

  /** Admins only: the account can sign in again (its ended sessions stay ended). */
  async enableUser(userId: string): Promise<User> {
    return (await this.request(TesseraEnableUserDocument, { userId })).enableUser;
  }

  /** Admins only: replaces the account's roles. Sensitive (ReauthenticationRequiredError). */
  async setUserRoles(userId: string, roles: readonly Role[]): Promise<User> {
    return (await this.request(TesseraSetUserRolesDocument, { userId, roles: [...roles] })).setUserRoles;
  }

  /**
   * Any GraphQL operation with a valid access token. An access token the service calls expired
   * is renewed and the operation sent once more; an answer that the session has ended signs out.
   * A typed document (GraphQL Code Generator's typed document strings, `documentMode: 'string'`)
   * types the result and the variables; with a plain string, name the result type.
   */
  request<TResult, TVariables>(
    document: TypedDocumentText<TResult, TVariables>,
    ...[variables]: VariablesArgument<TVariables>
  ): Promise<TResult>;
  request<TResult = unknown>(query: string, variables?: Record<string, unknown>): Promise<TResult>;
  async request<TResult>(document: string | TypedDocumentText<TResult, unknown>, variables?: Record<string, unknown>): Promise<TResult> {
    const send = async (token: string) => {
      try {
        return await this.transport.execute<TResult>(String(document), variables, token);
      } catch (error) {
        if (error instanceof TesseraError) await this.signOutIfEnded(error.code);
        throw error;
      }
    };
    const token = await this.refresher.getAccessToken();
    try {
      return await send(token);
    } catch (error) {
      if (!isTesseraError(error, 'TOKEN_EXPIRED')) throw error;
    }
    this.refresher.invalidate(token);
    return send(await this.refresher.getAccessToken());
  }

  /**
   * The headers that present `accessToken` on a request: `{ authorization: "Bearer <token>" }`,
   * or for a session bound to the device key `{ authorization: "DPoP <token>", dpop: <proof> }`
   * with a fresh proof for this method and URL. For GraphQL clients of the app's own (Apollo,
   * urql), and as graphql-ws connection params (`GET` on the socket's URL).
   */
  async authorizationHeaders(accessToken: string, request: { method: string; url: string }): Promise<AuthorizationHeaders> {
    if (accessTokenKeyThumbprint(accessToken) === undefined) return { authorization: `Bearer ${accessToken}` };
    const proofs = this.transport.proofs;
    if (!proofs) throw withoutDeviceKey();
    return { authorization: `DPoP ${accessToken}`, dpop: await proofs.make({ method: request.method, url: request.url, accessToken }) };
  }

  /**
   * fetch with the access token (`Authorization: Bearer <token>`, or `DPoP <token>` and a proof
   * on a bound session), for the app's own APIs that accept Tessera tokens. On TOKEN_EXPIRED
   * (GraphQL or REST error body) the token is renewed, and on a DPoP nonce challenge (a 401 with
   * `error="use_dpop_nonce"`) the proof made again, and the request sent once more, so its body
   * must be replayable (a string, bytes, FormData; not a stream).
   */
  async fetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
    const isRequest = typeof Request !== 'undefined' && input instanceof Request;
    const url = absoluteUrl(typeof input === 'string' ? input : 'href' in input ? input.href : input.url);
    const method = init.method ?? (isRequest ? input.method : 'GET');
    const sendOnce = async (token: string) => {
      const request = isRequest ? input.clone() : input;
      const headers = new Headers(init.headers ?? (isRequest ? input.headers : undefined));
      const authorization = await this.authorizationHeaders(token, { method, url });
      headers.set('authorization', authorization.authorization);
      if (authorization.dpop !== undefined) headers.set('dpop', authorization.dpop);
      const response = await this.fetchImpl(request, { ...init, headers });
      if (authorization.dpop !== undefined) this.transport.proofs?.noteAnswer(url, response);
      return { response, proved: authorization.dpop !== undefined };
    };
    const send = async (token: string) => {
      const first = await sendOnce(token);
      // The nonce came with the challenge and is remembered: the proof made again carries it.
      return first.proved && isNonceChallenge(first.response) ? (await sendOnce(token)).response : first.response;
    };
    const token = await this.refresher.getAccessToken();
    const first = await send(token);
    const firstCode = await errorCodeOfResponse(first);
    if (firstCode !== 'TOKEN_EXPIRED') {
      await this.signOutIfEnded(firstCode);
      return first;
    }
    this.refresher.invalidate(token);
    const second = await send(await this.refresher.getAccessToken());
    await this.signOutIfEnded(await errorCodeOfResponse(second));
    return second;
  }

  onSignedOut(listener: (reason: SignedOutReason) => void): () => void {
    return this.refresher.onSignedOut(listener);
  }

  /** Stops the refresher's timer (SessionSync has its own stop()); the stored session stays. */
  close(): void {
    this.refresher.dispose();
  }

  /** Signs out when an answer's error code says the session has ended (SIGN_OUT_CODES). */
  private async signOutIfEnded(code: string | undefined): Promise<void> {
    if (code !== undefined && SIGN_OUT_CODES.has(code)) await this.refresher.signOut(code);
  }
}

/** How a request presents an access token; also the shape of graphql-ws connection params. */
export interface AuthorizationHeaders {
  readonly authorization: string;
  /** The DPoP proof, for a session bound to the device key. */
  readonly dpop?: string;
}

/** A proof names an absolute URL: a browser's relative one is resolved against the page. */
function absoluteUrl(url: string): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  if (base === undefined || /^[a-z][a-z0-9+.-]*:/i.test(url)) return url;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

/** Reads the error code of an answer without consuming the body the caller will read. */
async function errorCodeOfResponse(response: Response): Promise<string | undefined> {
  if (response.status !== 401 && response.status !== 200) return undefined;
  if (!(response.headers.get('content-type') ?? '').includes('json')) return undefined;
  return errorCodeOf(await readJson(response.clone()));
}
