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
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly deviceId: string;
  readonly status: SessionStatus;
  readonly endReason: SessionEndReason | null;
  readonly createdAt: Date;
  readonly lastActivityAt: Date;
  /** The absolute end: login time + the refresh-token lifetime chosen at login. */
  readonly expiresAt: Date;
  readonly endedAt: Date | null;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
}
