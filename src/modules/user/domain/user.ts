import type { Role } from '../../../kernel/role.js';

export interface User {
  readonly id: string;
  readonly email: string;
  readonly roles: readonly Role[];
  readonly createdAt: Date;
  /** Set by an administrator: the account has no session and cannot sign in until enabled. */
  readonly disabledAt: Date | null;
}

/**
 * What identifies an account, wherever an email comes in (registration, login, the limits' keys,
 * ADMIN_EMAIL): trimmed, lower-cased, and in Unicode NFC, so that `Alice@Example.com ` is
 * alice@example.com and `josé` typed as é or as e + U+0301 is one account. NFC and not NFKC: NFC
 * only joins encodings of the same text, while NFKC would also rewrite compatibility characters
 * (ﬁ → fi, ² → 2, full-width letters), storing an address that may not be the person's mailbox,
 * and it would still not join look-alikes from other scripts. Lower-casing comes before NFC
 * because it can leave a sequence NFC recomposes (İ → i + U+0307); this order is idempotent.
 */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase().normalize('NFC');
}
