export class PasswordChangedResponse {
  /** How many other sessions of the account the change ended; the caller's own stays. */
  endedSessions: number;
}
