import { TesseraError, type SessionEvent } from './sdk.js';

/** What the page shows a person: never a bare error code, never a stack. */
export interface Notice {
  readonly tone: 'error' | 'warning' | 'info' | 'success';
  readonly text: string;
}

/** "45 seconds", "2 minutes", "1 hour and 5 minutes". */
export function describeWait(seconds: number): string {
  const total = Math.max(1, Math.ceil(seconds));
  const unit = (count: number, word: string) => `${count} ${word}${count === 1 ? '' : 's'}`;
  if (total < 60) return unit(total, 'second');
  const minutes = Math.ceil(total / 60);
  if (minutes < 60) return unit(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  const rest = minutes % 60;
  return rest === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} and ${unit(rest, 'minute')}`;
}

function codeOf(error: unknown): string | undefined {
  if (error instanceof TesseraError) return error.code;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string') {
    return (error as { code: string }).code;
  }
  // fetch() rejects with a TypeError when the service cannot be reached at all.
  if (error instanceof TypeError) return 'NETWORK_ERROR';
  return undefined;
}

function retryAfterOf(error: unknown): number | undefined {
  const value = (error as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/** Why the event ended this page's session: its end reason when it carries one (PASSWORD_CHANGED…), else its type. */
export function signedOutReasonOf(event: SessionEvent): string {
  return event.session?.endReason ?? event.type;
}

/** Why the session ended, in words: the SDK's sign-out reasons, and the session end reasons of the live feed. */
export function signedOutNotice(reason: string | undefined): Notice {
  switch (reason ?? '') {
    case 'LOGOUT':
      return { tone: 'info', text: 'You have signed out.' };
    case 'SESSION_EXPIRED':
    case 'IDLE_TIMEOUT':
    case 'ABSOLUTE_TIMEOUT':
      return { tone: 'warning', text: 'Your session expired. Sign in again to continue.' };
    case 'PASSWORD_CHANGED':
      return {
        tone: 'warning',
        text: 'You were signed out because your password was changed on another device. Sign in with the new password.',
      };
    case 'REPORTED_BY_USER':
      return {
        tone: 'error',
        text: 'You were signed out: this sign-in was reported as not yours from another device. If it was you, sign in again.',
      };
    case 'DEVICE_REMOVED':
      return { tone: 'warning', text: 'You were signed out: this browser was removed from your account on another device.' };
    case 'DEVICE_UNTRUSTED':
      return { tone: 'warning', text: 'You were signed out: this browser is no longer trusted. Sign in again to continue.' };
    case 'ACCOUNT_DISABLED':
      return { tone: 'error', text: 'You were signed out: an administrator has disabled this account.' };
    case 'REFRESH_TOKEN_REUSED':
      return {
        tone: 'error',
        text: 'You were signed out for your safety: this session’s credentials were used from somewhere else. Sign in again and check your devices.',
      };
    case 'SESSION_REVOKED':
    case 'INVALID_REFRESH_TOKEN':
    default:
      return {
        tone: 'warning',
        text: 'You were signed out: this session was ended from another device or by an administrator. Sign in again to continue.',
      };
  }
}

/**
 * An error as a sentence. `action` says what failed ("Signing in", "Revoking the session") for
 * the generic cases; the specific ones read better on their own.
 */
export function describeError(error: unknown, action = 'That'): Notice {
  const code = codeOf(error);
  switch (code ?? '') {
    case 'INVALID_CREDENTIALS':
      return { tone: 'error', text: 'The email address or password is not right. Check them and try again.' };
    case 'ACCOUNT_DISABLED':
      return { tone: 'error', text: 'This account has been disabled by an administrator, so it cannot be used to sign in.' };
    case 'REAUTHENTICATION_REQUIRED':
      return { tone: 'warning', text: `${action} needs your password again. Try again and confirm it’s you.` };
    case 'RATE_LIMITED': {
      const wait = retryAfterOf(error);
      return {
        tone: 'error',
        text:
          wait === undefined
            ? 'Too many attempts. Wait a few minutes, then try again.'
            : `Too many attempts. Try again in ${describeWait(wait)}.`,
      };
    }
    case 'SESSION_REVOKED':
    case 'SESSION_EXPIRED':
    case 'INVALID_REFRESH_TOKEN':
    case 'REFRESH_TOKEN_REUSED':
      return signedOutNotice(code);
    case 'UNAUTHENTICATED':
    case 'TOKEN_EXPIRED':
      return { tone: 'warning', text: 'Your sign-in is no longer valid. Sign in again to continue.' };
    case 'NETWORK_ERROR':
      return {
        tone: 'error',
        text: 'The Tessera service cannot be reached. Check your connection; the page will work again once the service answers.',
      };
    case 'SERVICE_UNAVAILABLE':
      return { tone: 'error', text: 'The service is temporarily unavailable. Try again in a moment.' };
    case 'NOT_FOUND':
      return { tone: 'warning', text: `${action} did not work: it no longer exists. The list has been brought up to date.` };
    case 'FORBIDDEN':
      return { tone: 'error', text: `${action} is not allowed for your account.` };
    case 'BAD_USER_INPUT':
      return { tone: 'error', text: 'Check what you typed: the service did not accept it.' };
    default:
      return {
        tone: 'error',
        text: `${action} did not work because of an unexpected problem${code ? ` (${code})` : ''}. Try again; if it keeps happening, reload the page.`,
      };
  }
}

export function isCode(error: unknown, ...codes: string[]): boolean {
  const code = codeOf(error);
  return code !== undefined && codes.includes(code);
}

const PASSWORD_MIN_LENGTH = 12;
const PASSWORD_MAX_LENGTH = 128;

/**
 * The service's password rule, checked before sending so that the answer comes at once: at least
 * 12 characters not counting spaces around it, at most 128, not the current password, not the
 * email address. The service checks again and has the last word (describePasswordRefusal).
 */
export function newPasswordProblem(input: { currentPassword: string; newPassword: string; email: string }): Notice | undefined {
  const refuse = (text: string): Notice => ({ tone: 'error', text });
  if (input.currentPassword === '') return refuse('Enter your current password.');
  const length = [...input.newPassword.trim()].length;
  if (length < PASSWORD_MIN_LENGTH) {
    return refuse(`The new password needs at least ${PASSWORD_MIN_LENGTH} characters, not counting spaces at its start and end.`);
  }
  if ([...input.newPassword].length > PASSWORD_MAX_LENGTH)
    return refuse(`The new password can have at most ${PASSWORD_MAX_LENGTH} characters.`);
  if (input.newPassword === input.currentPassword) return refuse('The new password must be different from the current one.');
  if (input.newPassword.trim().toLowerCase() === input.email.trim().toLowerCase()) {
    return refuse('The new password cannot be your email address.');
  }
  return undefined;
}

/** The service refused the new password (BAD_USER_INPUT): its own sentence says which rule. */
export function describePasswordRefusal(error: unknown): Notice {
  const reason = error instanceof TesseraError && error.message !== error.code ? ` ${error.message}` : '';
  return { tone: 'error', text: `The new password was not accepted.${reason} Nothing was changed.` };
}

export function passwordChangedNotice(otherSessionsEnded: number): Notice {
  const others =
    otherSessionsEnded === 0
      ? 'You were not signed in anywhere else.'
      : `${otherSessionsEnded} other session${otherSessionsEnded === 1 ? ' was' : 's were'} signed out.`;
  return { tone: 'success', text: `Your password has been changed. ${others}` };
}
