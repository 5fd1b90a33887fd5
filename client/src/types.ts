/**
 * The contract's types (the public contract, schema.gql), written by hand so that the SDK has no
 * code generation step. DateTime values stay ISO 8601 strings, as they arrive.
 */

export type DateTime = string;

export type Role = 'USER' | 'ADMIN';
export type DeviceType = 'IOS' | 'ANDROID' | 'WEB' | 'DESKTOP' | 'OTHER';
export type SessionStatus = 'ACTIVE' | 'REVOKED' | 'EXPIRED';
export type SessionEndReason =
  | 'LOGOUT'
  | 'REVOKED_BY_USER'
  | 'REVOKED_BY_ADMIN'
  | 'REFRESH_TOKEN_REUSED'
  | 'IDLE_TIMEOUT'
  | 'ABSOLUTE_TIMEOUT'
  | 'SESSION_LIMIT'
  | 'DEVICE_UNTRUSTED'
  | 'PASSWORD_CHANGED'
  | 'ACCOUNT_DISABLED'
  | 'REPORTED_BY_USER'
  | 'DEVICE_REMOVED';
export type SessionEventType =
  | 'SESSION_CREATED'
  | 'SESSION_REFRESHED'
  | 'SESSION_REVOKED'
  | 'SESSION_EXPIRED'
  | 'DEVICE_TRUSTED'
  | 'DEVICE_UNTRUSTED'
  /** A device was renamed; carries `device`. */
  | 'DEVICE_UPDATED'
  /** A device was forgotten (its sessions end, each with an event of its own); carries `device`. */
  | 'DEVICE_REMOVED'
  | 'ALERT_RAISED'
  /** An alert was acknowledged or reported on some device; carries `alert`. */
  | 'ALERT_ACKNOWLEDGED';
export type SessionAlertType =
  | 'NEW_DEVICE'
  | 'REFRESH_TOKEN_REUSE'
  | 'NEW_IP_ADDRESS'
  | 'BRUTE_FORCE'
  | 'SESSION_LIMIT_REACHED'
  | 'SESSION_REVOKED_BY_ADMIN'
  | 'PASSWORD_CHANGED';
export type AlertSeverity = 'INFO' | 'WARNING' | 'CRITICAL';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly createdAt: DateTime;
  /** A disabled account cannot sign in, and its sessions have ended; only an admin can enable it again. */
  readonly disabled: boolean;
  readonly disabledAt: DateTime | null;
}

export interface Device {
  readonly id: string;
  readonly name: string | null;
  readonly type: DeviceType;
  readonly model: string | null;
  readonly osVersion: string | null;
  readonly appVersion: string | null;
  readonly trusted: boolean;
  readonly trustedAt: DateTime | null;
  readonly firstSeenAt: DateTime;
  readonly lastSeenAt: DateTime;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly device: Device;
  /** True for the session this client is signed in with. */
  readonly current: boolean;
  readonly status: SessionStatus;
  readonly endReason: SessionEndReason | null;
  readonly createdAt: DateTime;
  /**
   * When the user last proved who they are on this session: the login, or the last
   * reauthenticate(). Sensitive operations need it recent (REAUTHENTICATION_REQUIRED).
   */
  readonly authenticatedAt: DateTime;
  readonly lastActivityAt: DateTime;
  readonly idleExpiresAt: DateTime;
  readonly expiresAt: DateTime;
  readonly endedAt: DateTime | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}

export interface SessionAlert {
  readonly id: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionAlertType;
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly details: unknown;
  readonly createdAt: DateTime;
  readonly acknowledgedAt: DateTime | null;
}

export interface SessionEvent {
  readonly type: SessionEventType;
  readonly userId: string;
  readonly sessionId: string | null;
  /** The user's change counter: one more than the previous event, or something was missed. */
  readonly version: number;
  readonly occurredAt: DateTime;
  readonly session: Session | null;
  readonly device: Device | null;
  readonly alert: SessionAlert | null;
}

/** What the app tells the service about itself at login (the contract's DeviceInput). */
export interface DeviceInput {
  /** Generated once per install and kept in secure storage, so the service recognises the device. */
  readonly deviceId: string;
  readonly type: DeviceType;
  readonly name?: string | null;
  readonly model?: string | null;
  readonly osVersion?: string | null;
  readonly appVersion?: string | null;
}

export interface LoginInput {
  readonly email: string;
  readonly password: string;
  readonly device: DeviceInput;
}

/** The contract's ChangePasswordInput. */
export interface ChangePasswordInput {
  readonly currentPassword: string;
  readonly newPassword: string;
}

/** What login hands back to the app; the tokens stay inside the SDK. */
export interface LoginResult {
  readonly user: User;
  readonly session: Session;
}

/** The contract's TokenPair, as the service sends it. Internal to the SDK: apps never see tokens. */
export interface TokenPair {
  readonly tokenType: string;
  readonly accessToken: string;
  readonly accessTokenExpiresAt: DateTime;
  readonly refreshToken: string;
  readonly refreshTokenExpiresAt: DateTime;
}

export interface SessionPayload {
  readonly tokens: TokenPair;
  readonly session: Session;
  readonly user: User;
}
