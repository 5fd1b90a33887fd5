export enum SessionStatus {
  ACTIVE = 'ACTIVE',
  REVOKED = 'REVOKED',
  EXPIRED = 'EXPIRED',
}

export enum SessionEndReason {
  LOGOUT = 'LOGOUT',
  REVOKED_BY_USER = 'REVOKED_BY_USER',
  REVOKED_BY_ADMIN = 'REVOKED_BY_ADMIN',
  REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED',
  IDLE_TIMEOUT = 'IDLE_TIMEOUT',
  ABSOLUTE_TIMEOUT = 'ABSOLUTE_TIMEOUT',
  SESSION_LIMIT = 'SESSION_LIMIT',
  DEVICE_UNTRUSTED = 'DEVICE_UNTRUSTED',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  ACCOUNT_DISABLED = 'ACCOUNT_DISABLED',
  /** "This wasn't me": the user reported the alert that named the session. */
  REPORTED_BY_USER = 'REPORTED_BY_USER',
  DEVICE_REMOVED = 'DEVICE_REMOVED',
}

/** RFC 8176 values: a password, or a hardware-held key (the device's DPoP key, gated by biometrics on phones). */
export type AuthenticationMethod = 'pwd' | 'hwk';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly status: SessionStatus;
  readonly endReason: SessionEndReason | null;
  readonly createdAt: Date;
  /** When the user last proved who they are on this session: the login, or a later reauthenticate. */
  readonly authenticatedAt: Date;
  /** RFC 7638 thumbprint of the device key the session is bound to (DPoP); null for a bearer session. */
  readonly deviceKeyThumbprint: string | null;
  /** How the user last proved who they are on it (RFC 8176 amr): the password, or the device's key. */
  readonly authenticationMethod: AuthenticationMethod;
  readonly lastActivityAt: Date;
  /** The absolute end: login time + the refresh-token lifetime chosen at login. */
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}
