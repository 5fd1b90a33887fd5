export enum Role {
  USER = 'USER',
  ADMIN = 'ADMIN',
}

export interface User {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
}

/** What identifies an account: trimmed and lower-cased, so `Alice@Example.com ` is alice@example.com. */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

export const PASSWORD_MIN_LENGTH = 12;
export const PASSWORD_MAX_LENGTH = 128;
