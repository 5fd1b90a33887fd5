import { DomainError } from '../../../common/domain-error.js';
import { normaliseEmail } from './user.js';

const MIN_LENGTH = 12;
/** Keeps what argon2id is given bounded; the input type allows more so that this rule is the one that answers. */
const MAX_LENGTH = 128;
/** Characters that show nothing: spaces of every kind, control characters, and format characters such as U+200B. */
const INVISIBLE = /^[\p{White_Space}\p{Cc}\p{Cf}]*$/u;

/**
 * The one password rule, for registration, ADMIN_PASSWORD and any later password change: at least
 * 12 characters not counting spaces around it (what people see, so characters are code points,
 * not UTF-16 units), at most 128, not only invisible characters, and not the account's own email
 * in any case or form. The password itself is used as given; only the checks look past its spaces.
 * Throws BAD_USER_INPUT naming the input's `field`.
 */
export function assertPasswordPolicy(password: string, email: string, field = 'password'): void {
  const problem = problemOf(password, email);
  if (problem) throw new DomainError('BAD_USER_INPUT', problem, { fields: [field] });
}

function problemOf(password: string, email: string): string | undefined {
  if (INVISIBLE.test(password)) return 'The password cannot be only spaces or invisible characters.';
  if ([...password.trim()].length < MIN_LENGTH) {
    return `The password must have at least ${MIN_LENGTH} characters, not counting spaces at its start and end.`;
  }
  if ([...password].length > MAX_LENGTH) return `The password can have at most ${MAX_LENGTH} characters.`;
  if (normaliseEmail(password) === normaliseEmail(email)) return 'The password cannot be the email address.';
  return undefined;
}
