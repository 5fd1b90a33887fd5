export enum SessionAlertType {
  NEW_DEVICE = 'NEW_DEVICE',
  REFRESH_TOKEN_REUSE = 'REFRESH_TOKEN_REUSE',
  NEW_IP_ADDRESS = 'NEW_IP_ADDRESS',
  BRUTE_FORCE = 'BRUTE_FORCE',
  SESSION_LIMIT_REACHED = 'SESSION_LIMIT_REACHED',
  SESSION_REVOKED_BY_ADMIN = 'SESSION_REVOKED_BY_ADMIN',
  PASSWORD_CHANGED = 'PASSWORD_CHANGED',
  /** A device-bound session's refresh token was presented without its device's key. */
  REFRESH_WITHOUT_DEVICE_KEY = 'REFRESH_WITHOUT_DEVICE_KEY',
}

export enum AlertSeverity {
  INFO = 'INFO',
  WARNING = 'WARNING',
  CRITICAL = 'CRITICAL',
}

export interface SessionAlert {
  readonly id: string;
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionAlertType;
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly details: Record<string, unknown> | null;
  readonly occurrences: number;
  readonly createdAt: Date;
  readonly lastOccurredAt: Date;
  readonly acknowledgedAt: Date | null;
}

/** What a rule decides to raise; storing, folding and delivering it is the service's job. */
export interface AlertCandidate {
  readonly userId: string;
  readonly sessionId: string | null;
  readonly type: SessionAlertType;
  readonly severity: AlertSeverity;
  readonly message: string;
  readonly details: Record<string, unknown>;
  /** Candidates with the same key within the folding window become one alert. */
  readonly foldKey: string;
}
