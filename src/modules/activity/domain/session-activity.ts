export enum SessionActivityType {
  LOGIN_FAILED = 'LOGIN_FAILED',
  SESSION_CREATED = 'SESSION_CREATED',
  TOKEN_REFRESHED = 'TOKEN_REFRESHED',
  REFRESH_TOKEN_REUSED = 'REFRESH_TOKEN_REUSED',
  SESSION_REVOKED = 'SESSION_REVOKED',
  SESSION_EXPIRED = 'SESSION_EXPIRED',
  LOGOUT = 'LOGOUT',
  DEVICE_REGISTERED = 'DEVICE_REGISTERED',
  DEVICE_TRUSTED = 'DEVICE_TRUSTED',
  DEVICE_UNTRUSTED = 'DEVICE_UNTRUSTED',
  ALERT_RAISED = 'ALERT_RAISED',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  REAUTHENTICATED = 'REAUTHENTICATED',
  ACCOUNT_DISABLED = 'ACCOUNT_DISABLED',
  ACCOUNT_ENABLED = 'ACCOUNT_ENABLED',
  ROLES_CHANGED = 'ROLES_CHANGED',
  DEVICE_RENAMED = 'DEVICE_RENAMED',
  DEVICE_REMOVED = 'DEVICE_REMOVED',
  ALERT_ACKNOWLEDGED = 'ALERT_ACKNOWLEDGED',
  ALERT_REPORTED = 'ALERT_REPORTED',
}

/** The entries that count as using the account from an address: logins and refreshes. */
export const ADDRESS_USE_TYPES: readonly SessionActivityType[] = [SessionActivityType.SESSION_CREATED, SessionActivityType.TOKEN_REFRESHED];

/**
 * The details of a TOKEN_REFRESHED entry for a refresh answered again with the successor it had
 * already been given. The entry records where a token went, but does not make its address known:
 * otherwise a thief replaying a stolen parent would spare their next rotation a NEW_IP_ADDRESS.
 */
export const REPLAYED_DETAILS = { replayed: true } as const;

/** How long an address stays known to its user (the NEW_IP_ADDRESS rule asks within this window). */
export const ADDRESS_MEMORY_MS = 30 * 24 * 60 * 60_000;

/** The earliest moment at which use of an address still makes it known at `at`. */
export const addressKnownSince = (at: Date): Date => new Date(at.getTime() - ADDRESS_MEMORY_MS);

/** What the log held about a user and an address just before a new entry. */
export interface AddressHistory {
  readonly hasEarlierActivity: boolean;
  readonly ipSeenRecently: boolean;
}

export interface SessionActivity {
  readonly id: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionActivityType;
  readonly occurredAt: Date;
  readonly ipAddress: string | null;
  readonly userAgent: string | null;
  /** Small and structured; never a token, a password or a key. */
  readonly details: Record<string, unknown> | null;
}

export type NewSessionActivity = Omit<SessionActivity, 'id'>;

export interface SessionActivityFilter {
  readonly userId: string;
  readonly sessionId?: string;
  readonly types?: readonly SessionActivityType[];
  readonly since?: Date;
}
